package io.oxllm.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the {@code /status} JSON as plain-text tables that fit an 80-column terminal. Times are
 * UTC clock times; the JSON has the full values and every counter.
 */
public final class StatusText {
  private StatusText() {}

  public static String render(JsonObject status) {
    StringBuilder out = new StringBuilder();
    out.append("oxllm ").append(status.getString("version"))
        .append("  up ").append(duration(status.getLong("uptime_secs", 0L)))
        .append("  ").append(status.getBoolean("draining", false) ? "DRAINING"
            : status.getBoolean("ready", false) ? "ready" : "NOT READY").append('\n');
    if (status.getString("config_path") != null) {
      out.append(wrap("config " + status.getString("config_path"), ""));
    }
    JsonObject reload = status.getJsonObject("reload");
    if (reload != null) {
      out.append("last reload ").append(reload.getString("at")).append(" (").append(reload.getString("trigger"))
          .append("): ").append(reload.getBoolean("ok") ? "ok" : "REJECTED").append('\n');
      for (Object e : reload.getJsonArray("errors", new JsonArray())) {
        out.append(wrap(String.valueOf(e), "  "));
      }
      JsonArray restart = reload.getJsonArray("restart_required", new JsonArray());
      if (!restart.isEmpty()) {
        out.append(wrap("needs a restart: " + String.join(", ", restart.getList()), "  "));
      }
    }
    out.append('\n').append(providers(status.getJsonArray("providers", new JsonArray())));
    out.append('\n').append(virtualModels(status.getJsonObject("virtual_models", new JsonObject())));
    return out.toString();
  }

  /** The provider table alone (also what {@code provider list} prints). */
  public static String providers(JsonArray providers) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PROVIDER", "STATE", "FAILS", "INFL", "REQUESTS", "FAILED", "UNTIL"});
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      String state = p.getString("state");
      String until = p.getString("open_until");
      if (!p.getBoolean("enabled", true)) {
        state = "disabled";
      } else if (p.getBoolean("offline", false)) {
        state = "offline";
      } else if (p.getString("rate_limited_until") != null && until == null) {
        state = "rate_limited";
        until = p.getString("rate_limited_until");
      }
      rows.add(new String[] {p.getString("name"), state, String.valueOf(p.getLong("consecutive_failures")),
          String.valueOf(p.getLong("in_flight")), String.valueOf(p.getLong("requests")),
          String.valueOf(p.getLong("failures")), until == null ? "-" : clock(until)});
    }
    return table(rows, 0);
  }

  private static String virtualModels(JsonObject vms) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"VIRTUAL MODEL", "#", "PROVIDER", "MODEL", "STATE"});
    for (String name : vms.fieldNames()) {
      JsonArray chain = vms.getJsonArray(name);
      for (int i = 0; i < chain.size(); i++) {
        JsonObject t = chain.getJsonObject(i);
        rows.add(new String[] {i == 0 ? name : "", String.valueOf(i + 1), t.getString("provider"),
            t.getString("model"), t.getString("state")});
      }
    }
    return table(rows, 0, 2, 3);
  }

  /**
   * Aligned columns, two spaces apart, at most {@link #WIDTH} wide: while too wide, the widest of
   * the {@code shrinkable} columns loses a character (its cells are cut with "~").
   */
  private static String table(List<String[]> rows, int... shrinkable) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        r[c] = r[c] == null ? "-" : r[c];
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    while (total(width) > WIDTH) {
      int widest = shrinkable[0];
      for (int c : shrinkable) {
        widest = width[c] > width[widest] ? c : widest;
      }
      if (width[widest] <= 8) {
        break;
      }
      width[widest]--;
    }
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        String cell = cut(r[c], width[c]);
        line.append(cell);
        if (c < cols - 1) {
          line.append(" ".repeat(width[c] - cell.length() + 2));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static final int WIDTH = 80;

  private static int total(int[] width) {
    int sum = 2 * (width.length - 1);
    for (int w : width) {
      sum += w;
    }
    return sum;
  }

  /** Wraps a long line at {@link #WIDTH} columns, continuation lines indented. */
  private static String wrap(String text, String indent) {
    StringBuilder out = new StringBuilder();
    String line = indent;
    for (String word : text.split(" ")) {
      if (line.length() + word.length() + 1 > WIDTH && line.length() > indent.length()) {
        out.append(line.stripTrailing()).append('\n');
        line = indent + "    ";
      }
      while (word.length() > WIDTH - line.length()) {  // a single word longer than a line
        int room = WIDTH - line.length();
        out.append(line).append(word, 0, room).append('\n');
        word = word.substring(room);
        line = indent + "    ";
      }
      line += word + " ";
    }
    return out.append(line.stripTrailing()).append('\n').toString();
  }

  private static String cut(String s, int max) {
    if (s == null) {
      return "-";
    }
    return s.length() <= max ? s : s.substring(0, max - 1) + "~";
  }

  /** "2026-11-22T04:30:12.345Z" → "04:30:12" (UTC): the day is rarely news in a status table. */
  private static String clock(String iso) {
    int t = iso.indexOf('T');
    return t < 0 || iso.length() < t + 9 ? iso : iso.substring(t + 1, t + 9);
  }

  private static String duration(long secs) {
    if (secs < 60) {
      return secs + "s";
    }
    if (secs < 3600) {
      return (secs / 60) + "m" + (secs % 60) + "s";
    }
    return (secs / 3600) + "h" + ((secs % 3600) / 60) + "m";
  }
}
