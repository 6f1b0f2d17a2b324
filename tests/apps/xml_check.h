// A small XML well-formedness check for the SVG tests: balanced, properly nested elements,
// quoted attributes, escaped text. Returns the element counts by name; `error` says what broke.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace amor::test {

struct XmlSummary {
  std::string error;  // empty when well-formed
  std::map<std::string, int> elements;
  std::string root;
};

inline XmlSummary check_xml(const std::string& s) {
  XmlSummary r;
  std::vector<std::string> stack;
  size_t i = 0;
  auto fail = [&](const std::string& what) {
    r.error = what + " at byte " + std::to_string(i);
    return r;
  };
  while (i < s.size()) {
    if (s[i] != '<') {
      if (s[i] == '&') {
        const size_t semi = s.find(';', i);
        if (semi == std::string::npos || semi - i > 8) return fail("bare '&' in text");
      } else if (s[i] == '>') {
        return fail("bare '>' in text");
      } else if (!std::isspace(static_cast<unsigned char>(s[i])) && stack.empty()) {
        return fail("text outside the root element");
      }
      ++i;
      continue;
    }
    if (s.compare(i, 5, "<?xml") == 0) {
      const size_t end = s.find("?>", i);
      if (end == std::string::npos) return fail("unterminated declaration");
      i = end + 2;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t end = s.find("-->", i);
      if (end == std::string::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    const bool closing = i + 1 < s.size() && s[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == ':' || s[j] == '-' || s[j] == '_')) ++j;
    const std::string name = s.substr(name_start, j - name_start);
    if (name.empty()) return fail("tag without a name");
    // Attributes: name="value" pairs.
    bool self_closing = false;
    while (true) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return fail("unterminated tag <" + name);
      if (s[j] == '>') { ++j; break; }
      if (s[j] == '/' && j + 1 < s.size() && s[j + 1] == '>') { self_closing = true; j += 2; break; }
      if (closing) return fail("attributes in a closing tag");
      const size_t an = j;
      while (j < s.size() && s[j] != '=' && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '>') ++j;
      if (j == an || j >= s.size() || s[j] != '=') return fail("attribute without a value in <" + name);
      ++j;
      if (j >= s.size() || (s[j] != '"' && s[j] != '\'')) return fail("unquoted attribute in <" + name);
      const char q = s[j];
      const size_t end = s.find(q, j + 1);
      if (end == std::string::npos) return fail("unterminated attribute in <" + name);
      if (s.substr(j + 1, end - j - 1).find('<') != std::string::npos) return fail("'<' in an attribute");
      j = end + 1;
    }
    if (closing) {
      if (stack.empty() || stack.back() != name) return fail("</" + name + "> does not close the open element");
      stack.pop_back();
    } else {
      if (r.root.empty()) r.root = name;
      else if (stack.empty()) return fail("a second root element <" + name + ">");
      r.elements[name]++;
      if (!self_closing) stack.push_back(name);
    }
    i = j;
  }
  if (!stack.empty()) return fail("<" + stack.back() + "> is never closed");
  if (r.root.empty()) return fail("no element");
  return r;
}

}  // namespace amor::test
