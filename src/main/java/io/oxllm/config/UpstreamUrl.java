package io.oxllm.config;

/**
 * A provider's {@code base_url}, split once at load time so the request path only concatenates.
 * {@code basePath} has no trailing slash ("" or "/v1"); a request path "/chat/completions" becomes
 * {@code basePath + "/chat/completions"}.
 */
public record UpstreamUrl(boolean ssl, String host, int port, String basePath) {
  // java.net.URI reads a host name with '_' (a docker compose service's, say) as no host at all:
  // dot-separated labels of letters, digits, '-' and '_', each starting and ending with a letter
  // or digit, the last one not all digits (999.1.1.1 is no address and no name)
  private static final java.util.regex.Pattern NAMED_HOST = java.util.regex.Pattern.compile(
      "((?:[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?\\.)*(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)"
          + "(?::([0-9]{1,9}))?");
  // what follows an authority's last ':' (not one inside [...]): java.net.URI finds no host at
  // all when it is no port ("h:-1", "h:12ab"), which read as "has no host"
  private static final java.util.regex.Pattern PORT_TEXT = java.util.regex.Pattern.compile(".*[^:\\[]:([^:\\]]+)");

  /** Parses an http(s) URL; throws IllegalArgumentException with a readable message when it is not one. */
  public static UpstreamUrl parse(String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw new IllegalArgumentException("must be an http:// or https:// URL");
    }
    String host = uri.getHost();
    int givenPort = uri.getPort();
    if (host == null && uri.getRawAuthority() != null) {
      java.util.regex.Matcher named = NAMED_HOST.matcher(uri.getRawAuthority());
      if (named.matches()) {
        host = named.group(1);
        givenPort = named.group(2) == null ? -1 : Integer.parseInt(named.group(2));
      }
    }
    if (uri.getRawUserInfo() != null || (host == null && String.valueOf(uri.getRawAuthority()).contains("@"))) {
      // they would be dropped without a word: Vert.x sends no Basic auth from a URL
      throw new IllegalArgumentException("must not carry credentials (user:password@): they would not be sent");
    }
    java.util.regex.Matcher portText = host == null ? PORT_TEXT.matcher(String.valueOf(uri.getRawAuthority())) : null;
    if (portText != null && portText.matches() && !isPort(portText.group(1))) {
      throw new IllegalArgumentException("has port " + portText.group(1) + "; a port is 1 to 65535");
    }
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("has no host");
    }
    if (uri.getRawAuthority().endsWith(":")) {
      throw new IllegalArgumentException("has an empty port (a ':' with no number after it)"); // read as 80 or 443
    }
    if (givenPort == 0 || givenPort > 65_535) {
      throw new IllegalArgumentException("has port " + givenPort + "; a port is 1 to 65535");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("must not have a query or fragment");
    }
    boolean ssl = scheme.equalsIgnoreCase("https");
    int port = givenPort > 0 ? givenPort : (ssl ? 443 : 80);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new UpstreamUrl(ssl, host, port, path);
  }

  private static boolean isPort(String text) {
    return text.matches("[0-9]{1,5}") && Integer.parseInt(text) <= 65_535;
  }

  /**
   * {@code url} fit for a problem message, which reaches the log and the reload answer: the
   * credentials before an '@' become "…", and what follows a '?' or '#' becomes "…".
   */
  public static String forMessage(String url) {
    int cut = url.length();
    for (char c : new char[] {'?', '#'}) {
      int i = url.indexOf(c);
      if (i >= 0 && i < cut) {
        cut = i;
      }
    }
    String shown = url.substring(0, cut) + (cut < url.length() ? url.charAt(cut) + "…" : "");
    int scheme = shown.indexOf("://");
    int at = shown.lastIndexOf('@');
    if (at >= 0) {
      int from = scheme >= 0 ? scheme + 3 : 0;
      shown = at >= from ? shown.substring(0, from) + "…@" + shown.substring(at + 1) : shown;
    }
    return shown;
  }

  @Override
  public String toString() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (ssl ? "https" : "http") + "://" + h + ":" + port + basePath;
  }
}
