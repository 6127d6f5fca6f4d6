package io.oxllm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLocatorTest {
  @TempDir Path tmp;
  Path home;
  Path cwd;

  @BeforeEach
  void dirs() throws Exception {
    home = Files.createDirectories(tmp.resolve("home"));
    cwd = Files.createDirectories(tmp.resolve("work"));
  }

  private void createLocalConfig() throws Exception {
    Files.createDirectories(cwd.resolve("conf"));
    Files.writeString(cwd.resolve("conf/config.toml"), "");
  }

  @Test
  void homeIsDollarHomeAsAShellWouldHaveIt() {
    assertEquals(Path.of("/home/someone"), ConfigLocator.userHome(Map.of("HOME", "/home/someone")::get));
    assertEquals(Path.of(System.getProperty("user.home")), ConfigLocator.userHome(Map.<String, String>of()::get));
    assertEquals(Path.of(System.getProperty("user.home")), ConfigLocator.userHome(Map.of("HOME", " ")::get));
  }

  @Test
  void confArgumentWinsOverEverything() throws Exception {
    createLocalConfig();
    Path p = ConfigLocator.locate("my.toml", Map.of("OXLLM_CONFIG", "env.toml")::get, home, cwd);
    assertEquals(Path.of("my.toml"), p);
  }

  @Test
  void envVariableWhenNoArgument() throws Exception {
    createLocalConfig();
    Path p = ConfigLocator.locate(null, Map.of("OXLLM_CONFIG", "/etc/ox.toml")::get, home, cwd);
    assertEquals(Path.of("/etc/ox.toml"), p);
  }

  @Test
  void blankArgumentAndBlankEnvCountAsAbsent() throws Exception {
    createLocalConfig();
    Path p = ConfigLocator.locate(" ", Map.of("OXLLM_CONFIG", "")::get, home, cwd);
    assertEquals(cwd.resolve("conf/config.toml"), p);
  }

  @Test
  void localConfTomlWhenItExists() throws Exception {
    createLocalConfig();
    assertEquals(cwd.resolve("conf/config.toml"),
        ConfigLocator.locate(null, k -> null, home, cwd));
  }

  @Test
  void userConfigWhenNothingElseEvenIfMissing() {
    Path p = ConfigLocator.locate(null, k -> null, home, cwd);
    assertEquals(home.resolve(".config/oxllm/config.toml"), p);
    assertEquals(false, Files.exists(p));
  }

  @Test
  void threeArgumentFormUsesProcessWorkingDirectory() {
    // Tests run with cwd = the project dir, which ships conf/config.toml.
    Path p = ConfigLocator.locate(null, k -> null, home);
    assertEquals(Path.of("conf/config.toml"), p);
  }

  @Test
  void aSearchThatFindsNothingSaysWhereItLooked(@org.junit.jupiter.api.io.TempDir Path home) {
    Path guess = home.resolve(".config/oxllm/config.toml");
    java.util.Map<String, String> none = java.util.Map.of();
    org.junit.jupiter.api.Assertions.assertEquals(
        "no -conf given, $OXLLM_CONFIG not set, no conf/config.toml here, and not " + guess,
        ConfigLocator.searchedWithoutFinding(null, none::get, guess));
    // a file named by -conf or $OXLLM_CONFIG is what is missing: its own message says so
    org.junit.jupiter.api.Assertions.assertNull(ConfigLocator.searchedWithoutFinding("x.toml", none::get, Path.of("x.toml")));
    org.junit.jupiter.api.Assertions.assertNull(
        ConfigLocator.searchedWithoutFinding(null, java.util.Map.of("OXLLM_CONFIG", "y.toml")::get, Path.of("y.toml")));
  }
}
