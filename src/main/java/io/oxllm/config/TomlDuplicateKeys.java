package io.oxllm.config;

import java.util.HashMap;
import java.util.Map;

/**
 * Names a key a TOML file sets twice, and both its lines. Jackson's parser says only "Duplicate
 * key", at the line of the token after the repeated value (a blank line and a comment on, line 8
 * for a key on line 5), so an operator had neither the key nor its place. This reads the file
 * again, only once Jackson has refused it for that reason: a line scanner that knows tables,
 * arrays of tables ({@code providers[1]}, counted from 0 as validation's paths are), dotted and
 * quoted keys, strings and values over several lines. A repeat it cannot see (inside an inline
 * table) leaves Jackson's message as it was.
 */
final class TomlDuplicateKeys {
  private final Map<String, Integer> firstLine = new HashMap<>();
  private final Map<String, Integer> arrayCounts = new HashMap<>();
  private String table = "";
  private int depth; // open [ and { of a value, across lines
  private String multiline; // the closing quotes of the string a value left open, or null

  private TomlDuplicateKeys() {
  }

  /** {@code line N: duplicate key a.b (first set at line M)}, or null when none is found. */
  static TomlSyntaxException find(String toml) {
    TomlDuplicateKeys scan = new TomlDuplicateKeys();
    String[] lines = toml.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String repeated = scan.line(lines[i], i + 1);
      if (repeated != null) {
        return new TomlSyntaxException(i + 1, "duplicate key " + repeated + " (first set at line "
            + scan.firstLine.get(repeated) + ")", null);
      }
    }
    return null;
  }

  /** Reads one line; returns the path of the key it sets again, else null. */
  private String line(String line, int number) {
    if (multiline != null || depth > 0) {
      value(line, 0); // the rest of a value begun above
      return null;
    }
    String t = line.strip();
    if (t.isEmpty() || t.startsWith("#")) {
      return null;
    }
    if (t.startsWith("[[")) {
      String name = key(t.substring(2, Math.max(2, t.indexOf("]]"))));
      int index = arrayCounts.merge(name, 1, Integer::sum) - 1;
      table = name + "[" + index + "]";
      return null;
    }
    if (t.startsWith("[")) {
      table = inLastElement(key(t.substring(1, Math.max(1, t.indexOf(']')))));
      return null;
    }
    int eq = keyEnd(t);
    if (eq < 0) {
      return null; // not a key line: Jackson has told of whatever else is wrong
    }
    String path = table.isEmpty() ? key(t.substring(0, eq)) : table + "." + key(t.substring(0, eq));
    value(t, eq + 1);
    return firstLine.putIfAbsent(path, number) == null ? null : path;
  }

  /**
   * A table under an array of tables belongs to its latest element: {@code [providers.timeouts]}
   * after the second {@code [[providers]]} is {@code providers[1].timeouts}, and the first one's is
   * another table.
   */
  private String inLastElement(String name) {
    String longest = null;
    for (String array : arrayCounts.keySet()) {
      if (name.startsWith(array + ".") && (longest == null || array.length() > longest.length())) {
        longest = array;
      }
    }
    return longest == null ? name
        : longest + "[" + (arrayCounts.get(longest) - 1) + "]" + name.substring(longest.length());
  }

  /** Where the {@code =} after a key is (quotes in the key skipped), or -1. */
  private static int keyEnd(String t) {
    char quote = 0;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '=') {
        return i;
      }
    }
    return -1;
  }

  /**
   * A key as validation names it: parts trimmed and unquoted, joined with dots; a part that is no
   * bare key (empty, or with a dot, a space or a letter past ASCII) keeps quotes, so
   * {@code "a.b"} and {@code a.b} stay two keys.
   */
  private static String key(String raw) {
    StringBuilder out = new StringBuilder();
    StringBuilder part = new StringBuilder();
    char quote = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          part.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '.') {
        part(out, part).append('.');
      } else {
        part.append(c);
      }
    }
    return part(out, part).toString();
  }

  private static StringBuilder part(StringBuilder out, StringBuilder part) {
    String p = part.toString().strip();
    part.setLength(0);
    return out.append(p.matches("[A-Za-z0-9_-]+") ? p : '"' + p + '"');
  }

  /** Follows a value's text from {@code from}: its strings, brackets and comment. */
  private void value(String s, int from) {
    int i = from;
    while (i < s.length()) {
      if (multiline != null) {
        int end = s.indexOf(multiline, i);
        while (end > 0 && multiline.charAt(0) == '"' && escaped(s, end)) {
          end = s.indexOf(multiline, end + 1);
        }
        if (end < 0) {
          return;
        }
        i = end + 3;
        multiline = null;
        continue;
      }
      char c = s.charAt(i);
      if (c == '#') {
        return;
      } else if (s.startsWith("\"\"\"", i) || s.startsWith("'''", i)) {
        multiline = s.substring(i, i + 3);
        i += 3;
        continue;
      } else if (c == '"' || c == '\'') {
        int end = s.indexOf(c, i + 1);
        while (end > 0 && c == '"' && escaped(s, end)) {
          end = s.indexOf(c, end + 1);
        }
        i = end < 0 ? s.length() : end + 1;
        continue;
      } else if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        depth = Math.max(0, depth - 1);
      }
      i++;
    }
  }

  /** Whether the quote at {@code at} follows an odd run of backslashes. */
  private static boolean escaped(String s, int at) {
    int n = 0;
    for (int i = at - 1; i >= 0 && s.charAt(i) == '\\'; i--) {
      n++;
    }
    return n % 2 == 1;
  }
}
