package io.oxllm.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryAfterTest {
  /** Wed, 21 Oct 2015 07:28:00 GMT. */
  private static final long NOW = ZonedDateTime.of(2015, 10, 21, 7, 28, 0, 0, ZoneOffset.UTC)
      .toInstant().toEpochMilli();

  @Test
  void delaySeconds() {
    assertEquals(3000, RetryAfter.parseMs("3", NOW));
    assertEquals(0, RetryAfter.parseMs("0", NOW));
    assertEquals(12_000, RetryAfter.parseMs(" 12 ", NOW));
    assertEquals(12_000, RetryAfter.parseMs("\t12\r\n", NOW));
    assertEquals(120_000, RetryAfter.parseMs("120", NOW));
    assertEquals(7000, RetryAfter.parseMs("007", NOW));
    assertEquals(86_400_000L * 365, RetryAfter.parseMs("31536000", NOW));
  }

  @Test
  void delaySecondsDoesNotDependOnNow() {
    assertEquals(5000, RetryAfter.parseMs("5", 0));
    assertEquals(5000, RetryAfter.parseMs("5", Long.MAX_VALUE));
  }

  @Test
  void httpDateInTheFutureIsTheDifference() {
    assertEquals(30_000, RetryAfter.parseMs("Wed, 21 Oct 2015 07:28:30 GMT", NOW));
    assertEquals(3_600_000, RetryAfter.parseMs("Wed, 21 Oct 2015 08:28:00 GMT", NOW));
    assertEquals(86_400_000, RetryAfter.parseMs("Thu, 22 Oct 2015 07:28:00 GMT", NOW));
    assertEquals(30_000, RetryAfter.parseMs("  Wed, 21 Oct 2015 07:28:30 GMT  ", NOW));
    // a date built by the same formatter a server would use
    String in90s = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(NOW + 90_000), ZoneOffset.UTC));
    assertEquals(90_000, RetryAfter.parseMs(in90s, NOW));
  }

  @Test
  void httpDateNowOrInThePastIsZero() {
    assertEquals(0, RetryAfter.parseMs("Wed, 21 Oct 2015 07:28:00 GMT", NOW));
    assertEquals(0, RetryAfter.parseMs("Wed, 21 Oct 2015 07:27:59 GMT", NOW));
    assertEquals(0, RetryAfter.parseMs("Sun, 06 Nov 1994 08:49:37 GMT", NOW));
  }

  @Test
  void theObsoleteDateFormatsAreReadToo() {
    // RFC 9110 section 5.6.7: a recipient must accept RFC 850 and asctime dates as well
    assertEquals(30_000, RetryAfter.parseMs("Wednesday, 21-Oct-15 07:28:30 GMT", NOW));
    assertEquals(30_000, RetryAfter.parseMs("Wed Oct 21 07:28:30 2015", NOW));
    assertEquals(86_400_000 + 30_000, RetryAfter.parseMs("Thu Oct 22 07:28:30 2015", NOW));
    assertEquals(9 * 86_400_000L, RetryAfter.parseMs("Fri Oct 30 07:28:00 2015", NOW));
    assertEquals(11 * 86_400_000L, RetryAfter.parseMs("Sun Nov  1 07:28:00 2015", NOW), "a day padded with a space");
    assertEquals(0, RetryAfter.parseMs("Sunday, 06-Nov-94 08:49:37 GMT", NOW), "1994, in the past");
    assertEquals(0, RetryAfter.parseMs("Sun Nov  6 08:49:37 1994", NOW));
    // a 2-digit year up to 50 years ahead is ahead; further, it is a century back
    long in2065 = ZonedDateTime.of(2065, 10, 21, 7, 28, 0, 0, ZoneOffset.UTC).toInstant().toEpochMilli() - NOW;
    assertEquals(in2065, RetryAfter.parseMs("Wednesday, 21-Oct-65 07:28:00 GMT", NOW));
    assertEquals(0, RetryAfter.parseMs("Wednesday, 21-Oct-66 07:28:00 GMT", NOW), "1966");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Wednesday, 21-Oct-15 07:28:30", "Wednesday, 21-Xyz-15 07:28:30 GMT", "Wednesday, 32-Oct-15 07:28:30 GMT",
      "Wed Oct 21 25:28:30 2015", "Wed Oct 21 07:28:30 15", "Wed Oct 21 07:28:30 2015 GMT", "Wed ctO 21 07:28:30 2015",
  })
  void brokenObsoleteDatesAreUnreadable(String value) {
    assertEquals(-1, RetryAfter.parseMs(value, NOW), value);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "   ", "soon", "abc", "-1", "+3", "3s", "3.", ".5", "3.5.1", "1e3", "0x10", "12 34",
      "Wed, 21 Oct 2015 07:28", "2015-10-21T07:28:30Z", "Wed, 32 Oct 2015 07:28:00 GMT",
  })
  void unreadableValuesAreMinusOne(String value) {
    assertEquals(-1, RetryAfter.parseMs(value, NOW), value);
  }

  /** Valid delay-seconds too long for a long in ms: "longer than any cap", not "unreadable" (the default, shorter). */
  @ParameterizedTest
  @ValueSource(strings = {
      "9223372036854775807",   // Long.MAX_VALUE seconds: overflows as milliseconds
      "9223372036854776",      // smallest overflow when multiplied by 1000
      "99999999999999999999",  // does not even fit in a long
      "99999999999999999999999999999999999999",
  })
  void overflowingDelaysAreTheLongestWait(String value) {
    assertEquals(Long.MAX_VALUE, RetryAfter.parseMs(value, NOW), value);
  }

  @Test
  void delaySecondsWithAFractionAreReadRoundedUpToTheMs() {
    // not RFC 9110's, but sent by some servers and read by the OpenAI SDKs; once unreadable, and
    // so the whole default cooldown (30 s) for a provider that asked for half a second (an audit)
    assertEquals(500, RetryAfter.parseMs("0.5", NOW));
    assertEquals(3500, RetryAfter.parseMs(" 3.5 ", NOW));
    assertEquals(1, RetryAfter.parseMs("0.0001", NOW));
    assertEquals(1235, RetryAfter.parseMs("1.2341", NOW));
    assertEquals(500, RetryAfter.parseMs("0.50000000000000", NOW));
    assertEquals(Long.MAX_VALUE, RetryAfter.parseMs("99999999999999999999.5", NOW));
  }

  @Test
  void retryAfterMsComesFirstWhenItIsANumber() {
    assertEquals(500, RetryAfter.parseMs("500", null, NOW), "retry-after-ms alone");
    assertEquals(250, RetryAfter.parseMs("249.2", "30", NOW));
    assertEquals(0, RetryAfter.parseMs("0", "30", NOW));
    assertEquals(30_000, RetryAfter.parseMs("soon", "30", NOW), "an unreadable one: Retry-After's");
    assertEquals(30_000, RetryAfter.parseMs(null, "30", NOW));
    assertEquals(-1, RetryAfter.parseMs(null, null, NOW));
    assertEquals(-1, RetryAfter.parseMs("-5", null, NOW));
  }

  @Test
  void absentIsMinusOne() {
    assertEquals(-1, RetryAfter.parseMs(null, NOW));
  }

  @Test
  void largestNonOverflowingValueIsRead() {
    assertEquals(9_223_372_036_854_775L * 1000, RetryAfter.parseMs("9223372036854775", NOW));
  }
}
