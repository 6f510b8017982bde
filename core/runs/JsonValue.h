#pragma once
// A strict JSON reader for the small files of a run folder (manifest.json): the whole text must
// be one JSON value (RFC 8259), nesting at most kMaxDepth deep; numbers are read as doubles
// (and as exact 64-bit integers where they are written as such), strings as UTF-8. A syntax
// error throws JsonError naming the byte offset ("at byte 118: expected ',' or '}'").
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

struct JsonError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class JsonValue {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    static constexpr int kMaxDepth = 32;

    static JsonValue parse(const std::string &text);

    Type type() const { return type_; }
    bool isNull() const { return type_ == Type::Null; }
    bool isNumber() const { return type_ == Type::Number; }
    bool isString() const { return type_ == Type::String; }
    bool isObject() const { return type_ == Type::Object; }
    bool isArray() const { return type_ == Type::Array; }
    bool isBool() const { return type_ == Type::Bool; }

    bool boolean() const { return bool_; }
    double number() const { return number_; }
    // The integer as written ("18446744073709551615"); false when the text was not a
    // non-negative integer that fits 64 bits.
    bool unsignedInteger(std::uint64_t &out) const;
    const std::string &string() const { return string_; }
    const std::vector<JsonValue> &array() const { return array_; }
    const std::map<std::string, JsonValue> &object() const { return object_; }
    // The member `key` of an object, or nullptr.
    const JsonValue *find(const std::string &key) const;

private:
    friend class JsonParser;
    Type type_ = Type::Null;
    bool bool_ = false;
    double number_ = 0;
    std::string string_; // also the number's text
    std::vector<JsonValue> array_;
    std::map<std::string, JsonValue> object_;
};

} // namespace firstspike
