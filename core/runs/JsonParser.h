#pragma once
// The recursive-descent parser behind JsonValue::parse (JsonValue.h).
#include "core/runs/JsonValue.h"

#include <cstddef>
#include <string>

namespace firstspike {

class JsonParser {
public:
    explicit JsonParser(const std::string &text) : text_(text) {}
    JsonValue parseDocument();

private:
    [[noreturn]] void fail(const std::string &what) const;
    void skipSpace();
    JsonValue parseValue(int depth);
    JsonValue parseObject(int depth);
    JsonValue parseArray(int depth);
    std::string parseString();
    JsonValue parseNumber();
    void expectWord(const char *word);
    unsigned parseHex4();

    const std::string &text_;
    std::size_t pos_ = 0;
};

} // namespace firstspike
