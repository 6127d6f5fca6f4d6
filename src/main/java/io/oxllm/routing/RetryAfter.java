package io.oxllm.routing;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Parses an HTTP {@code Retry-After} value: delay-seconds or an HTTP date (RFC 9110 section 10.2.3). */
public final class RetryAfter {
  private RetryAfter() {}

  /**
   * Milliseconds from {@code nowMs} until the given time, or -1 when absent or unreadable; delay
   * seconds too many for a long in ms are {@code Long.MAX_VALUE} (the caller's cap applies).
   */
  public static long parseMs(String value, long nowMs) {
    if (value == null) {
      return -1;
    }
    String v = value.trim();
    if (v.isEmpty()) {
      return -1;
    }
    char first = v.charAt(0);
    if (first >= '0' && first <= '9') {  // ASCII digits only (RFC 9110); Long.parseLong accepts others
      for (int i = 0; i < v.length(); i++) {
        if (v.charAt(i) < '0' || v.charAt(i) > '9') {
          return -1;
        }
      }
      try {
        return Math.multiplyExact(Long.parseLong(v), 1000L);
      } catch (NumberFormatException | ArithmeticException e) {
        return Long.MAX_VALUE; // only digits: a valid delay past any cap, not an unreadable one
      }
    }
    try {
      long at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
      return Math.max(0, at - nowMs);
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
