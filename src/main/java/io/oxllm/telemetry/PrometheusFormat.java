package io.oxllm.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Renders OTel {@link MetricData} in the Prometheus text exposition format 0.0.4, following the
 * OTel-to-Prometheus naming rules: dots and other invalid characters become {@code _}, the unit
 * becomes a suffix ({@code s} → {@code _seconds}; annotations like {@code {token}} are dropped),
 * monotonic sums are counters ending in {@code _total}, histograms get cumulative
 * {@code _bucket{le=…}} lines, {@code _sum} and {@code _count}. Families are sorted by name.
 */
final class PrometheusFormat {
  private PrometheusFormat() {}

  /** Appends every metric whose OTel name is not in {@code skip}. */
  static void write(Collection<MetricData> metrics, Set<String> skip, StringBuilder out) {
    List<MetricData> sorted = new ArrayList<>(metrics);
    sorted.sort(Comparator.comparing(MetricData::getName));
    for (MetricData m : sorted) {
      if (!skip.contains(m.getName())) {
        write(m, out);
      }
    }
  }

  private static void write(MetricData m, StringBuilder out) {
    String base = name(m.getName(), m.getUnit());
    switch (m.getType()) {
      case LONG_SUM -> sum(out, m, base, m.getLongSumData().isMonotonic(), m.getLongSumData().getPoints());
      case DOUBLE_SUM -> sum(out, m, base, m.getDoubleSumData().isMonotonic(), m.getDoubleSumData().getPoints());
      case LONG_GAUGE -> family(out, m, base, "gauge", m.getLongGaugeData().getPoints());
      case DOUBLE_GAUGE -> family(out, m, base, "gauge", m.getDoubleGaugeData().getPoints());
      case HISTOGRAM -> histogram(out, m, base);
      default -> { } // exponential histograms and summaries: oxllm makes none
    }
  }

  private static void sum(StringBuilder out, MetricData m, String base, boolean monotonic,
      Collection<? extends PointData> points) {
    if (monotonic) {
      family(out, m, base.endsWith("_total") ? base : base + "_total", "counter", points);
    } else {
      family(out, m, base, "gauge", points);
    }
  }

  private static void family(StringBuilder out, MetricData m, String name, String type,
      Collection<? extends PointData> points) {
    header(out, m, name, type);
    for (PointData p : points) {
      out.append(name);
      labels(out, p.getAttributes(), null);
      out.append(' ');
      if (p instanceof LongPointData l) {
        out.append(l.getValue());
      } else if (p instanceof DoublePointData d) {
        out.append(number(d.getValue()));
      }
      out.append('\n');
    }
  }

  private static void histogram(StringBuilder out, MetricData m, String name) {
    header(out, m, name, "histogram");
    for (HistogramPointData p : m.getHistogramData().getPoints()) {
      List<Double> bounds = p.getBoundaries();
      List<Long> counts = p.getCounts();
      long cumulative = 0;
      for (int i = 0; i < counts.size(); i++) {
        cumulative += counts.get(i);
        String le = i < bounds.size() ? number(bounds.get(i)) : "+Inf";
        out.append(name).append("_bucket");
        labels(out, p.getAttributes(), le);
        out.append(' ').append(cumulative).append('\n');
      }
      out.append(name).append("_sum");
      labels(out, p.getAttributes(), null);
      out.append(' ').append(number(p.getSum())).append('\n');
      out.append(name).append("_count");
      labels(out, p.getAttributes(), null);
      out.append(' ').append(p.getCount()).append('\n');
    }
  }

  private static void header(StringBuilder out, MetricData m, String name, String type) {
    if (!m.getDescription().isEmpty()) {
      out.append("# HELP ").append(name).append(' ')
          .append(m.getDescription().replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
    }
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static void labels(StringBuilder out, Attributes attributes, String le) {
    if (attributes.isEmpty() && le == null) {
      return;
    }
    out.append('{');
    boolean[] first = {true};
    attributes.forEach((k, v) -> {
      if (!first[0]) {
        out.append(',');
      }
      first[0] = false;
      out.append(sanitize(k.getKey())).append("=\"").append(escape(String.valueOf(v))).append('"');
    });
    if (le != null) {
      out.append(first[0] ? "" : ",").append("le=\"").append(le).append('"');
    }
    out.append('}');
  }

  /** The Prometheus name: sanitized, plus the unit as a suffix unless it is an annotation or already there. */
  static String name(String otelName, String unit) {
    String name = sanitize(otelName);
    String suffix = switch (unit == null ? "" : unit) {
      case "s" -> "seconds";
      case "ms" -> "milliseconds";
      case "By" -> "bytes";
      case "", "1" -> "";
      default -> unit.startsWith("{") ? "" : sanitize(unit);
    };
    return suffix.isEmpty() || name.endsWith("_" + suffix) ? name : name + "_" + suffix;
  }

  static String sanitize(String s) {
    StringBuilder b = new StringBuilder(s.length() + 1);
    if (!s.isEmpty() && s.charAt(0) >= '0' && s.charAt(0) <= '9') {
      b.append('_'); // a name cannot start with a digit
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
      b.append(ok ? c : '_');
    }
    return b.toString();
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Integers without a fraction, everything else as Java prints it (Prometheus parses both). */
  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}
