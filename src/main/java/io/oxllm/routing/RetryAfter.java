package io.oxllm.routing;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses an HTTP {@code Retry-After} value: delay-seconds or an HTTP date (RFC 9110 section
 * 10.2.3), in any of the three date formats a recipient must accept (section 5.6.7): IMF-fixdate,
 * and the obsolete RFC 850 and asctime formats, which some servers still send.
 */
public final class RetryAfter {
  private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
  /** Sunday, 06-Nov-94 08:49:37 GMT (the weekday is not checked, as a 2-digit year may move it). */
  private static final Pattern RFC_850 =
      Pattern.compile("[A-Za-z]+, (\\d{2})-([A-Za-z]{3})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT");
  /** Sun Nov  6 08:49:37 1994. */
  private static final Pattern ASCTIME =
      Pattern.compile("[A-Za-z]{3} ([A-Za-z]{3}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})");

  private static final long NO_DATE = Long.MIN_VALUE; // a date before 1970 is a negative time
  /** The wait in milliseconds, beside or instead of {@code Retry-After}. */
  public static final String MS_HEADER = "retry-after-ms";

  private RetryAfter() {}

  /**
   * The wait a 429 asks for, in ms (or -1): {@code retry-after-ms} when it is a number of
   * milliseconds (some servers send only that; the OpenAI SDKs read it first), else
   * {@code Retry-After} as {@link #parseMs(String, long)} reads it.
   */
  public static long parseMs(String retryAfterMs, String retryAfter, long nowMs) {
    long ms = retryAfterMs == null ? -1 : decimal(retryAfterMs.trim(), 1);
    return ms >= 0 ? ms : parseMs(retryAfter, nowMs);
  }

  /**
   * Milliseconds from {@code nowMs} until the given time, or -1 when absent or unreadable; delay
   * seconds too many for a long in ms are {@code Long.MAX_VALUE} (the caller's cap applies).
   * Besides RFC 9110's forms, delay seconds with a fraction ({@code 0.5}), which the OpenAI SDKs
   * accept too: read as unreadable, they became the whole default cooldown (an audit).
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
    if (first >= '0' && first <= '9') {
      return decimal(v, 1000);
    }
    long at = dateMs(v, nowMs);
    return at == NO_DATE ? -1 : Math.max(0, at - nowMs);
  }

  /**
   * {@code v}, ASCII digits with at most one fraction ({@code 12}, {@code 0.25}), times
   * {@code unitMs}, rounded up to a whole ms (never sooner than asked); -1 when it is not such a
   * number, {@code Long.MAX_VALUE} when too large for a long (a valid wait past any cap).
   */
  private static long decimal(String v, long unitMs) {
    int dot = v.indexOf('.');
    String whole = dot < 0 ? v : v.substring(0, dot);
    String fraction = dot < 0 ? "" : v.substring(dot + 1);
    if (whole.isEmpty() || (dot >= 0 && fraction.isEmpty()) || !digits(whole) || !digits(fraction)) {
      return -1; // ASCII digits only (RFC 9110); Long.parseLong accepts others
    }
    try {
      if (fraction.isEmpty()) {
        return Math.multiplyExact(Long.parseLong(whole), unitMs);
      }
      return new BigDecimal(v).multiply(BigDecimal.valueOf(unitMs)).setScale(0, RoundingMode.CEILING).longValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      return Long.MAX_VALUE; // only digits: a valid delay past any cap, not an unreadable one
    }
  }

  private static boolean digits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** An HTTP date in epoch ms, or {@link #NO_DATE} when {@code v} is none. */
  private static long dateMs(String v, long nowMs) {
    try {
      return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      // not IMF-fixdate: one of the obsolete formats, or nothing
    }
    try {
      Matcher m = RFC_850.matcher(v);
      if (m.matches()) {
        // a 2-digit year more than 50 years ahead is the latest past year with those digits
        int thisYear = LocalDateTime.ofEpochSecond(nowMs / 1000, 0, ZoneOffset.UTC).getYear();
        int year = thisYear / 100 * 100 + Integer.parseInt(m.group(3));
        year = year > thisYear + 50 ? year - 100 : year;
        return utcMs(year, m.group(2), m.group(1), m, 4);
      }
      m = ASCTIME.matcher(v);
      if (m.matches()) {
        return utcMs(Integer.parseInt(m.group(6)), m.group(1), m.group(2).trim(), m, 3);
      }
    } catch (DateTimeException e) {
      // a day or time out of range: unreadable
    }
    return NO_DATE;
  }

  /** The time in epoch ms; the hour, minute and second are groups {@code hms} to {@code hms + 2}. */
  private static long utcMs(int year, String month, String day, Matcher m, int hms) {
    int mon = MONTHS.indexOf(month);
    if (mon < 0 || mon % 3 != 0) {
      return NO_DATE;
    }
    LocalDateTime at = LocalDateTime.of(year, mon / 3 + 1, Integer.parseInt(day), Integer.parseInt(m.group(hms)),
        Integer.parseInt(m.group(hms + 1)), Integer.parseInt(m.group(hms + 2)));
    return at.toInstant(ZoneOffset.UTC).toEpochMilli();
  }
}
