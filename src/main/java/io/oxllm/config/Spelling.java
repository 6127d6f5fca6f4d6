package io.oxllm.config;

import java.util.Locale;

/** Spelling hints for unknown keys ("prot" → "port"). */
final class Spelling {
  private Spelling() {}

  /** The known key closest to {@code key} (case-insensitive, at most 2 edits away), or null. */
  static String closest(String key, Iterable<String> known) {
    String best = null;
    int bestDist = 3; // more than 2 edits away is not a typo worth suggesting
    for (String k : known) {
      int d = k.equalsIgnoreCase(key) ? 0 : distance(k, key.toLowerCase(Locale.ROOT));
      if (d < bestDist) {
        best = k;
        bestDist = d;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
