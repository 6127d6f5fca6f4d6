package io.oxllm.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads typed fields of one TOML table while recording problems with their paths. Every key asked
 * for (present or not) becomes "known"; {@link #finish()} then reports the keys nobody asked for,
 * so a typo is an error instead of a silently ignored setting. A field with a problem yields its
 * default, so parsing goes on and every problem of the file is reported in one pass.
 */
final class ConfigReader {
  private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private final JsonObject json;
  private final String path;
  private final List<ConfigProblem> problems;
  private final Set<String> known = new LinkedHashSet<>();

  ConfigReader(JsonObject json, String path, List<ConfigProblem> problems) {
    this.json = json == null ? new JsonObject() : json;
    this.path = path;
    this.problems = problems;
  }

  /** {@code parent.key}, quoting keys that are not bare TOML keys ({@code virtual_models."a/b"}). */
  static String join(String parent, String key) {
    String k = BARE_KEY.matcher(key).matches()
        ? key
        : "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    return parent.isEmpty() ? k : parent + "." + k;
  }

  /** {@code parent[i]}, 0-based. */
  static String index(String parent, int i) {
    return parent + "[" + i + "]";
  }

  /** Short description of a value for "got ..." messages; never prints long strings in full. */
  static String describe(Object v) {
    if (v instanceof String s) {
      return "string \"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }
    if (v instanceof Number) {
      return "number " + v;
    }
    if (v instanceof Boolean) {
      return "boolean " + v;
    }
    if (v instanceof JsonObject) {
      return "a table";
    }
    if (v instanceof JsonArray) {
      return "an array";
    }
    return String.valueOf(v);
  }

  /** The value as a long if it is an integral number (any Number type), else null. */
  static Long integral(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? b.longValue() : null;
    }
    if (v instanceof BigDecimal d) {
      try {
        return d.longValueExact();
      } catch (ArithmeticException e) {
        return null;
      }
    }
    if (v instanceof Double || v instanceof Float) {
      double x = ((Number) v).doubleValue();
      return Double.isFinite(x) && x == Math.rint(x) && Math.abs(x) < 0x1p53 ? (long) x : null;
    }
    return null;
  }

  /** "must be >= 1" when the upper bound is only a technical cap, else "must be between a and b". */
  static String rangeText(long min, long max) {
    return max >= Integer.MAX_VALUE ? "must be >= " + min : "must be between " + min + " and " + max;
  }

  private static String rangeProblem(long n, long min, long max) {
    if (n > max && max >= Integer.MAX_VALUE) {
      return "must be <= " + max + ", got " + n;
    }
    return rangeText(min, max) + ", got " + n;
  }

  JsonObject json() {
    return json;
  }

  String path() {
    return path;
  }

  String pathOf(String key) {
    return join(path, key);
  }

  List<ConfigProblem> problems() {
    return problems;
  }

  void problem(String key, String message) {
    problems.add(new ConfigProblem(pathOf(key), message));
  }

  /** A problem of the {@code i}th (0-based) entry of list {@code key}: {@code key[i]}. */
  void problem(String key, int i, String message) {
    problems.add(new ConfigProblem(index(pathOf(key), i), message));
  }

  /** Marks {@code key} as known and tells whether it is present. */
  boolean has(String key) {
    known.add(key);
    return json.containsKey(key);
  }

  /** The raw value (tables and arrays wrapped as JsonObject/JsonArray), marking the key known. */
  Object raw(String key) {
    known.add(key);
    return json.getValue(key);
  }

  String string(String key, String def) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    if (v instanceof String s) {
      return s;
    }
    problem(key, "must be a string, got " + describe(v));
    return def;
  }

  /** A string that must be present and non-empty; null (with a problem) otherwise. */
  String requiredString(String key) {
    if (!has(key)) {
      problem(key, "is required");
      return null;
    }
    String s = string(key, null);
    if (s != null && s.isEmpty()) {
      problem(key, "must not be empty");
      return null;
    }
    return s;
  }

  long integer(String key, long def, long min, long max) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number)) {
      problem(key, "must be an integer, got " + describe(v));
      return def;
    }
    Long n = integral(v);
    if (n == null) {
      if (v instanceof BigInteger big) { // beyond a long: a range problem, not a type problem
        problem(key, (big.signum() > 0 ? "must be <= " + max : "must be >= " + min) + ", got " + v);
      } else {
        problem(key, "must be an integer, got " + v);
      }
      return def;
    }
    if (n < min || n > max) {
      problem(key, rangeProblem(n, min, max));
      return def;
    }
    return n;
  }

  int intValue(String key, int def, int min, int max) {
    return (int) integer(key, def, min, max);
  }

  boolean bool(String key, boolean def) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    problem(key, "must be true or false, got " + describe(v));
    return def;
  }

  /** An array of strings; entries must be non-empty when {@code nonEmpty}. */
  List<String> stringList(String key, List<String> def, boolean nonEmpty) {
    JsonArray arr = array(key);
    if (arr == null) {
      return def;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      Object v = arr.getValue(i);
      String p = index(pathOf(key), i);
      if (!(v instanceof String s)) {
        problems.add(new ConfigProblem(p, "must be a string, got " + describe(v)));
      } else if (nonEmpty && s.isEmpty()) {
        problems.add(new ConfigProblem(p, "must not be empty"));
      } else {
        out.add(s);
      }
    }
    return out;
  }

  /** An array of integers in [min, max]. */
  List<Integer> intList(String key, List<Integer> def, int min, int max) {
    JsonArray arr = array(key);
    if (arr == null) {
      return def;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      Object v = arr.getValue(i);
      String p = index(pathOf(key), i);
      Long n = v instanceof Number ? integral(v) : null;
      if (n == null) {
        problems.add(new ConfigProblem(p, "must be an integer, got " + describe(v)));
      } else if (n < min || n > max) {
        problems.add(new ConfigProblem(p, rangeProblem(n, min, max)));
      } else {
        out.add(n.intValue());
      }
    }
    return out;
  }

  /** The array under {@code key}, null when absent or (with a problem) not an array. */
  JsonArray array(String key) {
    Object v = raw(key);
    if (v == null) {
      return null;
    }
    if (v instanceof JsonArray a) {
      return a;
    }
    problem(key, "must be an array, got " + describe(v));
    return null;
  }

  /**
   * A reader over the sub-table {@code key}; over an empty table when absent or (with a problem)
   * not a table, so the caller's defaults apply and parsing continues.
   */
  ConfigReader table(String key) {
    Object v = raw(key);
    if (v != null && !(v instanceof JsonObject)) {
      problem(key, "must be a table, got " + describe(v));
      v = null;
    }
    return new ConfigReader((JsonObject) v, pathOf(key), problems);
  }

  /** Reports every present key that was never asked for, with a spelling hint when one is close. */
  void finish() {
    for (String key : json.fieldNames()) {
      if (known.contains(key)) {
        continue;
      }
      String hint = Spelling.closest(key, known);
      problem(key, "unknown key \"" + key + "\""
          + (hint != null ? " (did you mean \"" + hint + "\"?)" : knownList()));
    }
  }

  private String knownList() {
    return known.isEmpty() ? "" : " (known keys: " + String.join(", ", known) + ")";
  }
}
