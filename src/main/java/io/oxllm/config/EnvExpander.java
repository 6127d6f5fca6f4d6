package io.oxllm.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Expands environment references in every string value of a parsed config (recursively through
 * tables and arrays; keys are never expanded). Comments never reach this class: the TOML parser
 * has already dropped them.
 *
 * <p>Syntax:
 * <ul>
 *   <li>{@code ${VAR}}: the variable's value (may be empty); unset is a problem naming the
 *       variable, at the path of the value ({@code providers[1].api_key});</li>
 *   <li>{@code ${VAR:-default}}: the value, or {@code default} when the variable is unset
 *       <em>or empty</em> (shell semantics); the default is literal text up to the first
 *       <code>}</code>, it is not expanded again, and one holding <code>${</code> is a problem
 *       (<code>${A:-${B}}</code> would otherwise be the text <code>${B}</code>);</li>
 *   <li><code>$${</code>: escape, produces a literal <code>${</code> (as in docker compose), for
 *       a value that really contains those characters;</li>
 *   <li>a {@code $} not followed by <code>{</code> is literal. A malformed reference (no closing
 *       <code>}</code>, a name outside {@code [A-Za-z_][A-Za-z0-9_]*}) is a problem rather than
 *       literal text: <code>"${OPENAI_API_KEY"</code> sent as a key would only fail later and
 *       obscurely.</li>
 * </ul>
 * Variable values are never copied into problem messages (they may be secrets); the values a
 * string took from the environment are recorded, so that {@link ConfigParser} can keep them out
 * of what later validation says about that string.
 */
public final class EnvExpander {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private EnvExpander() {}

  /** A string value that took text from the environment: as written, as expanded, and the variables' values. */
  public record FromEnv(String raw, String expanded, List<String> values) {}

  /**
   * Returns a deep copy of {@code raw} with every string value expanded; problems are appended to
   * {@code problems}. A value with a problem is kept unexpanded.
   */
  public static JsonObject expand(
      JsonObject raw, Function<String, String> env, List<ConfigProblem> problems) {
    return expand(raw, env, problems, new HashMap<>());
  }

  /** As above; {@code fromEnv} gets, by path, each string that took a variable's value. */
  public static JsonObject expand(JsonObject raw, Function<String, String> env, List<ConfigProblem> problems,
      Map<String, FromEnv> fromEnv) {
    return object(raw, "", new Walk(env, problems, fromEnv));
  }

  private record Walk(Function<String, String> env, List<ConfigProblem> problems, Map<String, FromEnv> fromEnv) {}

  private static JsonObject object(JsonObject in, String path, Walk w) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : in) {
      String p = ConfigReader.join(path, e.getKey());
      // Iteration wraps nested Map/List as JsonObject/JsonArray, so value() sees only Json types.
      out.put(e.getKey(), value(e.getValue(), p, w));
    }
    return out;
  }

  private static JsonArray array(JsonArray in, String path, Walk w) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < in.size(); i++) {
      out.add(value(in.getValue(i), ConfigReader.index(path, i), w));
    }
    return out;
  }

  private static Object value(Object v, String path, Walk w) {
    if (v instanceof JsonObject o) {
      return object(o, path, w);
    }
    if (v instanceof JsonArray a) {
      return array(a, path, w);
    }
    if (v instanceof String s) {
      List<String> values = new ArrayList<>(0);
      String expanded = expandString(s, path, w.env(), w.problems(), values);
      if (!values.isEmpty()) {
        w.fromEnv().put(path, new FromEnv(s, expanded, List.copyOf(values)));
      }
      return expanded;
    }
    return v;
  }

  /** Expands one string; on any problem returns the input unchanged (the problem says why). */
  static String expandString(
      String s, String path, Function<String, String> env, List<ConfigProblem> problems) {
    return expandString(s, path, env, problems, new ArrayList<>(0));
  }

  /** As above; {@code values} gets each non-empty value taken from a variable (not defaults). */
  private static String expandString(String s, String path, Function<String, String> env,
      List<ConfigProblem> problems, List<String> values) {
    if (s.indexOf('$') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    boolean failed = false;
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c != '$') {
        out.append(c);
        i++;
      } else if (s.startsWith("$${", i)) {
        out.append("${");
        i += 3;
      } else if (s.startsWith("${", i)) {
        int close = s.indexOf('}', i + 2);
        if (close < 0) {
          problems.add(new ConfigProblem(path, "unterminated ${ (missing '}')"));
          return s;
        }
        String body = s.substring(i + 2, close);
        int sep = body.indexOf(":-");
        String name = sep < 0 ? body : body.substring(0, sep);
        if (!NAME.matcher(name).matches()) {
          problems.add(new ConfigProblem(path, "invalid variable name \"" + name
              + "\" in ${...} (expected [A-Za-z_][A-Za-z0-9_]*, optionally with :-default)"));
          failed = true;
        } else if (sep >= 0 && body.indexOf("${", sep) >= 0) {
          // ${A:-${B}} read as the default "${B" and a "}": a value no one meant
          problems.add(new ConfigProblem(path, "a default in ${" + name
              + ":-...} cannot hold another ${...}: defaults are literal text"));
          failed = true;
        } else {
          String val = env.apply(name);
          if (val != null && !val.isEmpty()) {
            values.add(val);
          } else if (sep >= 0) {
            val = body.substring(sep + 2);
          }
          if (val == null) {
            problems.add(new ConfigProblem(path, "environment variable " + name
                + " is not set (write ${" + name + ":-} to make it optional)"));
            failed = true;
          } else {
            out.append(val);
          }
        }
        i = close + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return failed ? s : out.toString();
  }
}
