package io.oxllm.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** Renders the {@code /status} JSON as plain-text tables that fit an 80-column terminal. */
public final class StatusText {
  private StatusText() {}

  public static String render(JsonObject status) {
    StringBuilder out = new StringBuilder();
    out.append("oxllm ").append(status.getString("version"))
        .append("  up ").append(duration(status.getLong("uptime_secs", 0L)))
        .append("  ").append(status.getBoolean("draining", false) ? "DRAINING"
            : status.getBoolean("ready", false) ? "ready" : "NOT READY").append('\n');
    if (status.getString("config_path") != null) {
      out.append("config ").append(status.getString("config_path")).append('\n');
    }
    JsonObject reload = status.getJsonObject("reload");
    if (reload != null) {
      out.append("last reload ").append(reload.getString("at")).append(" (").append(reload.getString("trigger"))
          .append("): ").append(reload.getBoolean("ok") ? "ok" : "REJECTED").append('\n');
      for (Object e : reload.getJsonArray("errors", new JsonArray())) {
        out.append("  ").append(e).append('\n');
      }
      JsonArray restart = reload.getJsonArray("restart_required", new JsonArray());
      if (!restart.isEmpty()) {
        out.append("  needs a restart: ").append(String.join(", ", restart.getList())).append('\n');
      }
    }
    out.append('\n').append(providers(status.getJsonArray("providers", new JsonArray())));
    out.append('\n').append(virtualModels(status.getJsonObject("virtual_models", new JsonObject())));
    return out.toString();
  }

  /** The provider table alone (also what {@code provider list} prints). */
  public static String providers(JsonArray providers) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"PROVIDER", "TYPE", "STATE", "FAILS", "IN-FLIGHT", "REQUESTS", "OK", "FAILED", "UNTIL"});
    for (Object o : providers) {
      JsonObject p = (JsonObject) o;
      String state = p.getBoolean("offline", false) ? "offline" : p.getString("state");
      if (!p.getBoolean("enabled", true)) {
        state = "disabled";
      }
      String until = p.getString("open_until") != null ? p.getString("open_until")
          : p.getString("rate_limited_until") != null ? "429 " + p.getString("rate_limited_until") : "-";
      rows.add(new String[] {cut(p.getString("name"), 16), p.getString("type"), state,
          String.valueOf(p.getLong("consecutive_failures")), String.valueOf(p.getLong("in_flight")),
          String.valueOf(p.getLong("requests")), String.valueOf(p.getLong("successes")),
          String.valueOf(p.getLong("failures")), shortTime(until)});
    }
    return table(rows);
  }

  private static String virtualModels(JsonObject vms) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"VIRTUAL MODEL", "#", "PROVIDER", "MODEL", "STATE"});
    for (String name : vms.fieldNames()) {
      JsonArray chain = vms.getJsonArray(name);
      for (int i = 0; i < chain.size(); i++) {
        JsonObject t = chain.getJsonObject(i);
        rows.add(new String[] {i == 0 ? cut(name, 18) : "", String.valueOf(i + 1), cut(t.getString("provider"), 16),
            cut(t.getString("model"), 28), t.getString("state")});
      }
    }
    return table(rows);
  }

  private static String table(List<String[]> rows) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        line.append(r[c]);
        if (c < cols - 1) {
          line.append(" ".repeat(width[c] - r[c].length() + 2));
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static String cut(String s, int max) {
    if (s == null) {
      return "-";
    }
    return s.length() <= max ? s : s.substring(0, max - 1) + "~";
  }

  /** "2026-11-22T04:30:12.345Z" → "04:30:12Z": the day is rarely news in a status table. */
  private static String shortTime(String iso) {
    int t = iso.indexOf('T');
    if (t < 0) {
      return iso;
    }
    String prefix = iso.startsWith("429 ") ? "429 " : "";
    String time = iso.substring(t + 1);
    int dot = time.indexOf('.');
    return prefix + (dot < 0 ? time : time.substring(0, dot) + "Z");
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
