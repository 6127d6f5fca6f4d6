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

  /** No CR, LF or NUL: a value that could end the header or the message early. */
  public static boolean validValue(String value) {
    return value.indexOf('\r') < 0 && value.indexOf('\n') < 0 && value.indexOf('\0') < 0;
  }
}
