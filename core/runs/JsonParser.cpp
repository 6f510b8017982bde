#include "core/runs/JsonParser.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale>
#include <sstream>

namespace firstspike {

void JsonParser::fail(const std::string &what) const
{
    throw JsonError("at byte " + std::to_string(pos_) + ": " + what);
}

void JsonParser::skipSpace()
{
    while (pos_ < text_.size()
           && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
        ++pos_;
}

JsonValue JsonParser::parseDocument()
{
    JsonValue v = parseValue(0);
    skipSpace();
    if (pos_ != text_.size())
        fail("unexpected text after the JSON value");
    return v;
}

JsonValue JsonParser::parseValue(int depth)
{
    if (depth > JsonValue::kMaxDepth)
        fail("nested deeper than " + std::to_string(JsonValue::kMaxDepth) + " levels");
    skipSpace();
    if (pos_ >= text_.size())
        fail("unexpected end of the text");
    const char c = text_[pos_];
    JsonValue v;
    switch (c) {
    case '{':
        return parseObject(depth);
    case '[':
        return parseArray(depth);
    case '"':
        v.type_ = JsonValue::Type::String;
        v.string_ = parseString();
        return v;
    case 't':
        expectWord("true");
        v.type_ = JsonValue::Type::Bool;
        v.bool_ = true;
        return v;
    case 'f':
        expectWord("false");
        v.type_ = JsonValue::Type::Bool;
        return v;
    case 'n':
        expectWord("null");
        return v;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parseNumber();
        fail(std::string("unexpected character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "'");
    }
}

void JsonParser::expectWord(const char *word)
{
    const std::size_t n = std::strlen(word);
    if (text_.compare(pos_, n, word) != 0)
        fail(std::string("expected ") + word);
    pos_ += n;
}

JsonValue JsonParser::parseObject(int depth)
{
    JsonValue v;
    v.type_ = JsonValue::Type::Object;
    ++pos_; // '{'
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return v;
    }
    while (true) {
        skipSpace();
        if (pos_ >= text_.size() || text_[pos_] != '"')
            fail("expected a member name");
        std::string key = parseString();
        skipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':')
            fail("expected ':'");
        ++pos_;
        if (v.object_.count(key))
            fail("the member '" + key + "' appears twice");
        v.object_.emplace(std::move(key), parseValue(depth + 1));
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') {
            ++pos_;
            continue;
        }
        if (pos_ < text_.size() && text_[pos_] == '}') {
            ++pos_;
            return v;
        }
        fail("expected ',' or '}'");
    }
}

JsonValue JsonParser::parseArray(int depth)
{
    JsonValue v;
    v.type_ = JsonValue::Type::Array;
    ++pos_; // '['
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return v;
    }
    while (true) {
        v.array_.push_back(parseValue(depth + 1));
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') {
            ++pos_;
            continue;
        }
        if (pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            return v;
        }
        fail("expected ',' or ']'");
    }
}

unsigned JsonParser::parseHex4()
{
    if (pos_ + 4 > text_.size())
        fail("unexpected end of the text in a \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
        const char h = text_[pos_++];
        u <<= 4;
        if (h >= '0' && h <= '9')
            u |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f')
            u |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            u |= static_cast<unsigned>(h - 'A' + 10);
        else
            fail("bad \\u escape");
    }
    return u;
}

std::string JsonParser::parseString()
{
    ++pos_; // '"'
    std::string out;
    while (true) {
        if (pos_ >= text_.size())
            fail("unterminated string");
        const unsigned char c = static_cast<unsigned char>(text_[pos_++]);
        if (c == '"')
            return out;
        if (c < 0x20)
            fail("control character in a string");
        if (c != '\\') {
            out += static_cast<char>(c);
            continue;
        }
        if (pos_ >= text_.size())
            fail("unterminated string");
        const char e = text_[pos_++];
        switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            unsigned cp = parseHex4();
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (text_.compare(pos_, 2, "\\u") != 0)
                    fail("unpaired surrogate");
                pos_ += 2;
                const unsigned lo = parseHex4();
                if (lo < 0xDC00 || lo >= 0xE000)
                    fail("unpaired surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                fail("unpaired surrogate");
            }
            if (cp < 0x80) {
                out += static_cast<char>(cp);
            } else if (cp < 0x800) {
                out += static_cast<char>(0xC0 | (cp >> 6));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out += static_cast<char>(0xE0 | (cp >> 12));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
                out += static_cast<char>(0xF0 | (cp >> 18));
                out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                out += static_cast<char>(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            fail("bad escape in a string");
        }
    }
}

JsonValue JsonParser::parseNumber()
{
    const std::size_t start = pos_;
    if (text_[pos_] == '-')
        ++pos_;
    auto digits = [&] {
        const std::size_t from = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
            ++pos_;
        return pos_ - from;
    };
    const std::size_t intStart = pos_;
    if (digits() == 0)
        fail("bad number");
    if (text_[intStart] == '0' && pos_ - intStart > 1)
        fail("bad number (leading zero)");
    if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        if (digits() == 0)
            fail("bad number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
            ++pos_;
        if (digits() == 0)
            fail("bad number");
    }
    JsonValue v;
    v.type_ = JsonValue::Type::Number;
    v.string_ = text_.substr(start, pos_ - start);
    // Classic locale: the GUI may run under a locale whose decimal point is a comma.
    std::istringstream in(v.string_);
    in.imbue(std::locale::classic());
    double d = 0;
    in >> d;
    if (!std::isfinite(d) || in.fail()) {
        pos_ = start;
        fail("number out of range");
    }
    v.number_ = d;
    return v;
}

} // namespace firstspike
