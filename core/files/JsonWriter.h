#pragma once
// Minimal streaming JSON writer for metrics and spike exports (no Qt in core).

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace firstspike {

class JsonWriter {
public:
    std::string str() const { return out_; }
    // For large texts: room for `bytes` up front (no doubling while it grows), and the text
    // moved out rather than copied (the writer is empty afterwards).
    void reserve(std::size_t bytes) { out_.reserve(bytes); }
    std::string take()
    {
        std::string text = std::move(out_);
        out_.clear();
        first_.clear();
        afterKey_ = false;
        return text;
    }

    JsonWriter &beginObject() { return open('{'); }
    JsonWriter &endObject() { return close('}'); }
    JsonWriter &beginArray() { return open('['); }
    JsonWriter &endArray() { return close(']'); }
    JsonWriter &key(const std::string &k)
    {
        separator();
        string(k);
        out_ += ':';
        afterKey_ = true;
        return *this;
    }
    // Non-finite numbers have no JSON form: written as null (silent neurons, missing values).
    JsonWriter &value(double v)
    {
        separator();
        if (!std::isfinite(v)) {
            out_ += "null";
        } else {
            char buf[32]; // to_chars: shortest exact form, independent of the C locale
            const auto result = std::to_chars(buf, buf + sizeof buf, v);
            out_.append(buf, result.ptr);
        }
        return *this;
    }
    JsonWriter &value(int v) { return raw(std::to_string(v)); }
    JsonWriter &value(long long v) { return raw(std::to_string(v)); }
    JsonWriter &value(unsigned long long v) { return raw(std::to_string(v)); }
    JsonWriter &value(bool v) { return raw(v ? "true" : "false"); }
    JsonWriter &value(const std::string &v)
    {
        separator();
        string(v);
        return *this;
    }
    JsonWriter &value(const char *v) { return value(std::string(v)); }
    template <typename T> JsonWriter &array(const std::vector<T> &values)
    {
        beginArray();
        for (const T &v : values)
            value(v);
        return endArray();
    }

private:
    JsonWriter &raw(const std::string &s)
    {
        separator();
        out_ += s;
        return *this;
    }
    JsonWriter &open(char c)
    {
        separator();
        out_ += c;
        first_.push_back(true);
        return *this;
    }
    JsonWriter &close(char c)
    {
        out_ += c;
        first_.pop_back();
        return *this;
    }
    void separator()
    {
        if (afterKey_) {
            afterKey_ = false;
            return;
        }
        if (!first_.empty()) {
            if (!first_.back())
                out_ += ',';
            first_.back() = false;
        }
    }
    void string(const std::string &s)
    {
        out_ += '"';
        for (unsigned char ch : s) {
            switch (ch) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default:
                if (ch < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out_ += buf;
                } else {
                    out_ += static_cast<char>(ch);
                }
            }
        }
        out_ += '"';
    }
    std::string out_;
    std::vector<bool> first_;
    bool afterKey_ = false;
};

} // namespace firstspike
