package dev.riprap.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The dry-run deployment that {@code ./mvnw verify} makes into {@code target/dry-run-repository}
 * (the parent pom's {@code dry-run-deploy} execution), checked the way a repository such as Maven
 * Central would: every published module with its jar, pom, sources and javadoc jars; the BOM
 * listing exactly the published artifacts; the metadata a release needs.
 *
 * <p>"Published" is read from the build itself: every module of the root pom that does not set
 * {@code maven.deploy.skip}. So a new module is checked as soon as it is added to the reactor. A
 * published jar has a {@code module-info.class}, unless its pom states why it cannot in the
 * property {@code riprap.no-module-info}; then its manifest must name its module ({@code
 * Automatic-Module-Name}).
 */
class PublishedLayoutTest {
  private static final String GROUP = "dev.riprap";
  private static final Path ROOT = Path.of(System.getProperty("riprap.root", "..")).toAbsolutePath();
  private static final Path REPO =
      Path.of(System.getProperty("riprap.dry-run-repository", "../target/dry-run-repository"));
  private static final String VERSION = System.getProperty("riprap.version", "0.1.0-SNAPSHOT");

  /**
   * A module of the reactor, as its pom declares it.
   *
   * @param noModuleInfo the reason it has no module-info.java (the pom's property {@code
   *     riprap.no-module-info}), or "" when it has one
   */
  private record Module(
      Path dir, String artifactId, String packaging, boolean published, String noModuleInfo) {}

  private static Document xml(Path file) throws Exception {
    assertThat(file).as("%s exists", file).isRegularFile();
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(file.toFile());
  }

  /** The text of the first element at {@code path} (child names from {@code parent}), or "". */
  private static String text(Element parent, String... path) {
    Element e = child(parent, path);
    return e == null ? "" : e.getTextContent().trim();
  }

  private static Element child(Element parent, String... path) {
    Element e = parent;
    for (String name : path) {
      Element next = null;
      for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element c && c.getTagName().equals(name)) {
          next = c;
          break;
        }
      }
      if (next == null) {
        return null;
      }
      e = next;
    }
    return e;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    if (parent != null) {
      for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element c && c.getTagName().equals(name)) {
          out.add(c);
        }
      }
    }
    return out;
  }

  private static List<Module> modules() throws Exception {
    List<Module> out = new ArrayList<>();
    for (Element m : children(child(xml(ROOT.resolve("pom.xml")).getDocumentElement(), "modules"),
        "module")) {
      Path dir = ROOT.resolve(m.getTextContent().trim());
      Element pom = xml(dir.resolve("pom.xml")).getDocumentElement();
      String packaging = text(pom, "packaging");
      out.add(
          new Module(
              dir,
              text(pom, "artifactId"),
              packaging.isEmpty() ? "jar" : packaging,
              !"true".equals(text(pom, "properties", "maven.deploy.skip")),
              text(pom, "properties", "riprap.no-module-info")));
    }
    return out;
  }

  /**
   * The files of one deployed artifact by "classifier.extension" ("jar", "pom", "sources.jar"):
   * for a snapshot, the newest timestamped files named in the version's maven-metadata.xml.
   */
  private static Map<String, Path> deployed(String artifactId) throws Exception {
    Path dir = REPO.resolve(GROUP.replace('.', '/')).resolve(artifactId).resolve(VERSION);
    assertThat(dir)
        .as("%s is published (the root pom, or one of its modules without maven.deploy.skip) but"
            + " was not deployed to %s before this check: run the whole reactor (./mvnw verify),"
            + " and add a new module as a dependency of publish-check/pom.xml", artifactId, REPO)
        .isDirectory();
    Map<String, Path> files = new LinkedHashMap<>();
    if (!VERSION.endsWith("-SNAPSHOT")) {
      try (var list = Files.list(dir)) {
        String prefix = artifactId + "-" + VERSION;
        list.map(p -> p.getFileName().toString())
            .filter(n -> n.startsWith(prefix) && !n.endsWith(".md5") && !n.endsWith(".sha1"))
            .forEach(n -> files.put(n.substring(prefix.length()).replaceFirst("^[-.]", ""),
                dir.resolve(n)));
      }
      return files;
    }
    Element versioning = child(xml(dir.resolve("maven-metadata.xml")).getDocumentElement(),
        "versioning");
    for (Element v : children(child(versioning, "snapshotVersions"), "snapshotVersion")) {
      String classifier = text(v, "classifier");
      String extension = text(v, "extension");
      String name = artifactId + "-" + text(v, "value")
          + (classifier.isEmpty() ? "" : "-" + classifier) + "." + extension;
      files.put(classifier.isEmpty() ? extension : classifier + "." + extension, dir.resolve(name));
    }
    return files;
  }

  private static Set<String> entries(Path jar) throws IOException {
    Set<String> names = new TreeSet<>();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      zip.stream().forEach(e -> names.add(e.getName()));
    }
    return names;
  }

  @Test
  void everyPublishedModuleIsDeployedWithItsJarPomSourcesAndJavadocFromThisBuild()
      throws Exception {
    List<Module> jars =
        modules().stream().filter(m -> m.published() && m.packaging().equals("jar")).toList();
    assertThat(jars).extracting(Module::artifactId)
        .contains("riprap-core", "riprap-http", "riprap-micrometer", "riprap-operations",
            "riprap-testing");
    for (Module m : jars) {
      Map<String, Path> files = deployed(m.artifactId());
      assertThat(files).as(m.artifactId()).containsKeys("jar", "pom", "sources.jar", "javadoc.jar");
      for (String kind : List.of("jar", "sources.jar", "javadoc.jar")) {
        // byte for byte the file this build packaged: not a leftover of an earlier run
        String built = m.artifactId() + "-" + VERSION
            + (kind.equals("jar") ? "" : "-" + kind.substring(0, kind.indexOf('.'))) + ".jar";
        assertThat(files.get(kind)).as("%s %s", m.artifactId(), kind)
            .hasSameBinaryContentAs(m.dir().resolve("target").resolve(built));
      }
      assertThat(files.get("pom")).hasSameTextualContentAs(m.dir().resolve("pom.xml"));
      if (m.noModuleInfo().isEmpty()) {
        assertThat(entries(files.get("jar")))
            .as("%s has no module-info.class: add one, or give the reason in its pom's property"
                + " riprap.no-module-info", m.artifactId())
            .contains("module-info.class");
        assertThat(entries(files.get("sources.jar"))).contains("module-info.java");
      } else {
        try (JarFile jar = new JarFile(files.get("jar").toFile())) {
          assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
              .as("%s has no module-info (%s): its manifest names its module instead",
                  m.artifactId(), m.noModuleInfo())
              .startsWith("dev.riprap.");
        }
      }
      assertThat(entries(files.get("sources.jar"))).as(m.artifactId())
          .anyMatch(n -> n.startsWith("dev/riprap/") && n.endsWith(".java"));
      assertThat(entries(files.get("javadoc.jar"))).as(m.artifactId())
          .contains("index.html", "element-list")
          .noneMatch(n -> n.contains("/internal/")); // not API: exported to dev.riprap.http only
    }
  }

  @Test
  void theBomListsExactlyThePublishedArtifactsAndPinsNothingElse() throws Exception {
    Set<String> published = new TreeSet<>();
    for (Module m : modules()) {
      if (m.published() && m.packaging().equals("jar")) {
        published.add(m.artifactId());
      }
    }
    Element bom = xml(deployed("riprap-bom").get("pom")).getDocumentElement();
    assertThat(child(bom, "parent")).as("a BOM with a parent would pin the parent's versions")
        .isNull();
    assertThat(child(bom, "dependencies")).isNull();
    Set<String> listed = new TreeSet<>();
    for (Element d : children(child(bom, "dependencyManagement", "dependencies"), "dependency")) {
      assertThat(text(d, "groupId")).as("only Riprap's own artifacts").isEqualTo(GROUP);
      assertThat(text(d, "version")).isEqualTo("${project.version}");
      assertThat(text(d, "scope")).as("no imported BOMs").isEmpty();
      listed.add(text(d, "artifactId"));
    }
    assertThat(listed)
        .as("bom/pom.xml must list every published artifact (modules without maven.deploy.skip)")
        .isEqualTo(published);
    assertThat(text(bom, "version")).isEqualTo(VERSION);
  }

  @Test
  void theParentAndTheBomCarryTheMetadataARepositoryRequires() throws Exception {
    // the poms this build deployed, not leftovers of an earlier run
    assertThat(deployed("riprap-parent").get("pom"))
        .hasSameTextualContentAs(ROOT.resolve("pom.xml"));
    assertThat(deployed("riprap-bom").get("pom"))
        .hasSameTextualContentAs(ROOT.resolve("bom").resolve("pom.xml"));
    Element parent = xml(deployed("riprap-parent").get("pom")).getDocumentElement();
    Element bom = xml(deployed("riprap-bom").get("pom")).getDocumentElement();
    for (Element pom : List.of(parent, bom)) {
      assertThat(text(pom, "name")).isNotEmpty();
      assertThat(text(pom, "description")).isNotEmpty();
      assertThat(text(pom, "url")).startsWith("https://");
      assertThat(text(pom, "licenses", "license", "name")).isEqualTo("Apache-2.0");
      assertThat(text(pom, "licenses", "license", "url"))
          .isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
      assertThat(text(pom, "scm", "connection")).startsWith("scm:git:");
      assertThat(text(pom, "scm", "url")).startsWith("https://");
      assertThat(text(pom, "developers", "developer", "name")).isNotEmpty();
      assertThat(text(pom, "organization", "name")).isNotEmpty();
    }
    // the BOM has no parent, so it repeats the parent's metadata: the same, word for word
    for (String[] path : List.of(new String[] {"url"}, new String[] {"inceptionYear"},
        new String[] {"organization"}, new String[] {"licenses"}, new String[] {"developers"},
        new String[] {"scm"})) {
      assertThat(text(bom, path).replaceAll("\\s+", " "))
          .as("<%s> of bom/pom.xml and pom.xml", String.join("/", path))
          .isEqualTo(text(parent, path).replaceAll("\\s+", " "));
    }
    // ... and pins the deploy plugin itself: the same version as the parent's
    Element deploy = children(child(bom, "build", "plugins"), "plugin").stream()
        .filter(p -> text(p, "artifactId").equals("maven-deploy-plugin")).findFirst().orElseThrow();
    assertThat(text(deploy, "version"))
        .isEqualTo(text(parent, "properties", "deploy-plugin.version"));
    for (Module m : modules()) {
      if (m.published() && m.packaging().equals("jar")) {
        Element pom = xml(deployed(m.artifactId()).get("pom")).getDocumentElement();
        assertThat(text(pom, "parent", "artifactId")).as(m.artifactId()).isEqualTo("riprap-parent");
        assertThat(text(pom, "name")).as(m.artifactId()).isNotEmpty();
        assertThat(text(pom, "description")).as(m.artifactId()).isNotEmpty();
      }
    }
    assertThat(Files.readString(ROOT.resolve("LICENSE")))
        .contains("Apache License", "Version 2.0, January 2004",
            "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
            "END OF TERMS AND CONDITIONS");
  }
}
