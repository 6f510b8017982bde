#include "core/runs/JsonValue.h"

#include "core/runs/JsonParser.h"

#include <charconv>

namespace firstspike {

JsonValue JsonValue::parse(const std::string &text)
{
    return JsonParser(text).parseDocument();
}

bool JsonValue::unsignedInteger(std::uint64_t &out) const
{
    if (type_ != Type::Number || string_.empty())
        return false;
    const char *begin = string_.data(), *end = begin + string_.size();
    const auto r = std::from_chars(begin, end, out);
    return r.ec == std::errc() && r.ptr == end;
}

const JsonValue *JsonValue::find(const std::string &key) const
{
    if (type_ != Type::Object)
        return nullptr;
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &it->second;
}

} // namespace firstspike
