package io.oxllm.config;

import java.util.regex.Pattern;

/** What a header may be, wherever the user gives one: a provider's {@code headers}, the OTLP exporter's. */
public final class HeaderSyntax {
  // RFC 9110 token: what a header field name may contain.
  private static final Pattern NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private HeaderSyntax() {}

  public static boolean validName(String name) {
    return NAME.matcher(name).matches();
  }

  /**
   * Why a key or token cannot be one, or null if it can: it goes in a header
   * ({@code Authorization: Bearer <token>}) and is compared as sent, so only visible ASCII fits.
   * A line end would fail every request (Vert.x refuses the header, in an error that quotes it),
   * and spaces at either end or a non-ASCII letter never arrive as written. Names the character
   * and its place, never the value.
   */
  static String tokenProblem(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return "must be visible ASCII without spaces (it is sent in an HTTP header); character " + (i + 1)
            + " of " + value.length() + " is " + describe(c);
      }
    }
    return null;
  }

  private static String describe(char c) {
    return switch (c) {
      case '\r' -> "a carriage return (a file or variable with Windows line endings?)";
      case '\n' -> "a line feed (a file read with its last line end?)";
      case ' ' -> "a space";
      case '\t' -> "a tab";
      default -> c < 0x20 || c == 0x7f ? String.format("the control character U+%04X", (int) c) : "not ASCII";
    };
  }

  /** No CR, LF or NUL: a value that could end the header or the message early. */
  public static boolean validValue(String value) {
    return value.indexOf('\r') < 0 && value.indexOf('\n') < 0 && value.indexOf('\0') < 0;
  }
}
