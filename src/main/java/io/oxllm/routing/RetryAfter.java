package io.oxllm.routing;

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
    long at = dateMs(v, nowMs);
    return at == NO_DATE ? -1 : Math.max(0, at - nowMs);
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
