package platformscan

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/manifest"
)

// root is the repository root, relative to this package.
const root = "../.."

// onPurpose marks a line that uses a foreign name deliberately, to test that it is refused.
const onPurpose = "platform: refused on purpose"

// A use is a piece of code whose event names must be sent by one platform.
type use struct {
	platform events.Platform
	re       *regexp.Regexp // the names are in the last submatch
}

var uses = []use{
	{events.Core, regexp.MustCompile(`EmitCore\(\s*[^,()]+,\s*((?:events\.\w+|"[^"]*"))`)},
	{events.Legacy, regexp.MustCompile(`EmitLegacy\(\s*[^,()]+,\s*((?:events\.\w+|"[^"]*"))`)},
	{events.Core, regexp.MustCompile(`Emit\(\s*[^,()]+,\s*events\.Core,\s*socotratest\.Event\{Type:\s*((?:events\.\w+|"[^"]*"))`)},
	{events.Legacy, regexp.MustCompile(`Emit\(\s*[^,()]+,\s*events\.Legacy,\s*socotratest\.Event\{Type:\s*((?:events\.\w+|"[^"]*"))`)},
	{events.Core, regexp.MustCompile(`AddCoreWebhook\(([^)]*)\)`)},
	{events.Legacy, regexp.MustCompile(`AddLegacyWebhook\(([^)]*)\)`)},
	{events.Core, regexp.MustCompile(`(?:\bWebhook(?:Filter|Update)?\{[^{}]*?|Add|Remove)Events:\s*\[\]events\.Name\{([^}]*)\}`)}, // socotra.Webhook and its filter and update: Core
	{events.Core, regexp.MustCompile(`hookFor\(([^)]*)\)`)},                                                                       // socotratest's Core request helper
	{events.Legacy, regexp.MustCompile(`legacyapi\.EventType\{([^}]*)\}`)},
	{events.Legacy, regexp.MustCompile(`LegacyWebhook\{[^}]*?Events:\s*\[\]events\.Name\{([^}]*)\}`)},
}

var (
	constRe = regexp.MustCompile(`(?m)^\t(\w+) Name = "([^"]+)"$`)
	nameRe  = regexp.MustCompile(`events\.(\w+)|"([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)+)"`)
)

// constants maps the events package's constant names to their values.
func constants(t *testing.T) map[string]events.Name {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "events", "names.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]events.Name{}
	for _, m := range constRe.FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = events.Name(m[2])
	}
	if len(out) != len(events.All()) {
		t.Fatalf("read %d constants from names.gen.go, want %d", len(out), len(events.All()))
	}
	return out
}

// TestSourcesUseEventsTheirPlatformSends scans every Go file and Markdown document.
func TestSourcesUseEventsTheirPlatformSends(t *testing.T) {
	t.Parallel()
	consts := constants(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".md") || strings.HasSuffix(path, "scan_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(src)
		for _, u := range uses {
			for _, loc := range u.re.FindAllStringSubmatchIndex(text, -1) {
				line := lineAt(text, loc[0])
				if strings.Contains(line, onPurpose) {
					continue
				}
				args := text[loc[len(loc)-2]:loc[len(loc)-1]]
				for _, m := range nameRe.FindAllStringSubmatch(args, -1) {
					n, ok := events.Name(m[2]), true
					if m[1] != "" {
						n, ok = consts[m[1]]
					}
					if !ok || !strings.Contains(string(n), ".") {
						continue // not an event constant (events.Core, a variable)
					}
					checked++
					if bad(u.platform, n) {
						rel, _ := filepath.Rel(root, path)
						t.Errorf("%s:%d: %q is used on %v, which does not send it: %s", rel,
							strings.Count(text[:loc[0]], "\n")+1, n, u.platform, strings.TrimSpace(line))
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Errorf("checked only %d names; the patterns no longer match the code", checked)
	}
}

// bad reports whether platform p never sends n: Core sends custom names but none only Legacy sends;
// Legacy sends only its enum.
func bad(p events.Platform, n events.Name) bool {
	if p == events.Core {
		return n.ForeignTo(events.Core)
	}
	return !n.SentBy(events.Legacy)
}

func lineAt(text string, i int) string {
	start := strings.LastIndexByte(text[:i], '\n') + 1
	end := strings.IndexByte(text[i:], '\n')
	if end < 0 {
		return text[start:]
	}
	return text[start : i+end]
}

// TestExampleManifestsAreStrict: every example's socotra-app.json passes manifestcheck -strict, so
// each names only events its target platform sends.
func TestExampleManifestsAreStrict(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", manifest.FileName))
	if err != nil || len(files) < 4 {
		t.Fatalf("found %d example manifests (%v)", len(files), err)
	}
	for _, f := range files {
		m, err := manifest.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := m.ValidateStrict(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestValidManifestFixtures: the manifests kept as valid fixtures pass strictly too.
func TestValidManifestFixtures(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(root, "manifest", "testdata", "valid", "*.json"))
	if len(files) == 0 {
		t.Fatal("no valid manifest fixtures found")
	}
	for _, f := range files {
		m, err := manifest.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := m.ValidateStrict(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
