#include "apps/conditions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/error.h"

namespace amor::apps {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A decimal number, or inf / -inf / +inf when allow_inf. Returns false when it is neither.
bool parse_number(const std::string& text, bool allow_inf, double* out) {
  const std::string t = trim(text);
  const std::string l = lower(t);
  if (allow_inf && (l == "inf" || l == "+inf" || l == "infinity" || l == "+infinity")) {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (allow_inf && (l == "-inf" || l == "-infinity")) {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  const char* begin = t.data() + (t.size() > 1 && t[0] == '+' ? 1 : 0);
  const auto [ptr, ec] = std::from_chars(begin, t.data() + t.size(), *out);
  return !t.empty() && ec == std::errc() && ptr == t.data() + t.size() && std::isfinite(*out);
}

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '[' || c == ']' || c == '=' || c == '<' || c == '>';
  });
}

const char* kForms = "NAME=V, NAME in [A, B], NAME > V or NAME < V";

ConditionItem parse_item(const std::string& flag, const std::string& raw) {
  const std::string item = trim(raw);
  ConditionItem c;
  c.text = item;
  AMOR_CHECK(!item.empty(), ValueError, flag, ": an empty item (two commas in a row, or a trailing comma?)");
  // NAME in [A, B]
  const size_t bracket = item.find('[');
  if (bracket != std::string::npos) {
    const std::string left = trim(item.substr(0, bracket));
    AMOR_CHECK(left.size() > 2 && lower(left.substr(left.size() - 2)) == "in" &&
                   std::isspace(static_cast<unsigned char>(left[left.size() - 3])),
               ValueError, flag, ": '", item, "' is not one of ", kForms);
    c.name = trim(left.substr(0, left.size() - 2));
    AMOR_CHECK(item.back() == ']', ValueError, flag, ": '", item, "': the interval must end with ']'");
    const std::string inside = item.substr(bracket + 1, item.size() - bracket - 2);
    const size_t comma = inside.find(',');
    AMOR_CHECK(comma != std::string::npos && inside.find(',', comma + 1) == std::string::npos, ValueError, flag,
               ": '", item, "': an interval is [A, B], two numbers");
    AMOR_CHECK(parse_number(inside.substr(0, comma), true, &c.lower), ValueError, flag, ": '", item,
               "': the lower bound ('", trim(inside.substr(0, comma)), "') is not a number");
    AMOR_CHECK(parse_number(inside.substr(comma + 1), true, &c.upper), ValueError, flag, ": '", item,
               "': the upper bound ('", trim(inside.substr(comma + 1)), "') is not a number");
    AMOR_CHECK(c.lower <= c.upper, ValueError, flag, ": '", item, "' is an empty interval (lower bound above upper)");
    AMOR_CHECK(std::isfinite(c.lower) || std::isfinite(c.upper), ValueError, flag, ": '", item,
               "' restricts nothing (both bounds infinite)");
    AMOR_CHECK(c.lower != std::numeric_limits<double>::infinity() && c.upper != -std::numeric_limits<double>::infinity(),
               ValueError, flag, ": '", item, "' is an empty interval");
    c.kind = ConditionItem::Kind::Interval;
  } else if (const size_t op = item.find_first_of("<>"); op != std::string::npos) {
    const bool less = item[op] == '<';
    const size_t value_at = op + (op + 1 < item.size() && item[op + 1] == '=' ? 2 : 1);
    c.name = trim(item.substr(0, op));
    double v = 0;
    AMOR_CHECK(parse_number(item.substr(value_at), false, &v), ValueError, flag, ": '", item, "': '",
               trim(item.substr(value_at)), "' is not a finite number");
    (less ? c.upper : c.lower) = v;
    c.kind = ConditionItem::Kind::Interval;
  } else if (const size_t eq = item.find('='); eq != std::string::npos) {
    c.name = trim(item.substr(0, eq));
    const std::string number = trim(item.substr(eq + 1));
    if (number.empty() || lower(number) == "nan") {
      c.kind = ConditionItem::Kind::Missing;
    } else {
      AMOR_CHECK(parse_number(number, false, &c.value), ValueError, flag, ": the value of '", c.name, "' ('", number,
                 "') is not a finite number");
      c.kind = ConditionItem::Kind::Value;
    }
  } else {
    AMOR_CHECK(false, ValueError, flag, ": '", item, "' is not name=value (or ", kForms, ")");
  }
  AMOR_CHECK(valid_name(c.name), ValueError, flag, ": '", item, "' has no variable name before the ",
             c.kind == ConditionItem::Kind::Interval ? "bound" : "'='");
  return c;
}

}  // namespace

std::vector<ConditionItem> parse_conditions(const std::string& flag, const std::string& text) {
  AMOR_CHECK(!trim(text).empty(), ValueError, flag, ": empty; give name=value pairs or intervals, e.g. x_1=0.3,x_2 in [0, 1]");
  // Brackets first, so that a stray ']' is named as such rather than as a malformed item.
  int balance = 0;
  for (char ch : text) {
    if (ch == '[') {
      AMOR_CHECK(balance == 0, ValueError, flag, ": nested '[' in '", text, "'");
      ++balance;
    } else if (ch == ']') {
      AMOR_CHECK(balance == 1, ValueError, flag, ": ']' without '[' in '", text, "'");
      --balance;
    }
  }
  AMOR_CHECK(balance == 0, ValueError, flag, ": '[' without ']' in '", text, "'");
  std::vector<ConditionItem> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char ch = i < text.size() ? text[i] : ',';
    if (ch == '[') {
      AMOR_CHECK(depth == 0, ValueError, flag, ": nested '[' in '", text, "'");
      ++depth;
    } else if (ch == ']') {
      AMOR_CHECK(depth == 1, ValueError, flag, ": ']' without '[' in '", text, "'");
      --depth;
    } else if (ch == ',' && depth == 0) {
      out.push_back(parse_item(flag, text.substr(start, i - start)));
      start = i + 1;
    }
  }
  AMOR_CHECK(depth == 0, ValueError, flag, ": '[' without ']' in '", text, "'");
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      AMOR_CHECK(out[i].name != out[j].name, ValueError, flag, ": '", out[i].name, "' is given twice");
  return out;
}

int64_t resolve_variable(const std::string& flag, const std::string& name, const std::vector<std::string>& names,
                         const std::string& who) {
  const auto exact = std::find(names.begin(), names.end(), name);
  if (exact != names.end()) return exact - names.begin();
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  // A 1-based position.
  int64_t index = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
  if (ec == std::errc() && ptr == name.data() + name.size()) {
    AMOR_CHECK(index >= 1 && index <= int64_t(names.size()), ValueError, flag, ": variable number ", name,
               " is outside 1..", names.size(), " (", who, " has ", known, ")");
    return index - 1;
  }
  // The name without underscores.
  auto squash = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
  };
  int64_t found = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (squash(names[i]) != squash(name)) continue;
    AMOR_CHECK(found < 0, ValueError, flag, ": '", name, "' matches several variables of ", who, " (", known, ")");
    found = int64_t(i);
  }
  AMOR_CHECK(found >= 0, ValueError, flag, ": ", who, " has no variable '", name, "' (its variables: ", known, ")");
  return found;
}

}  // namespace amor::apps
