package readme

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../../.."

var inlineRun = regexp.MustCompile("`go run [^`\n]+`")

// sources returns the files a README snippet may come from: test files with Example functions, and the
// example programs.
func sources(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if strings.Contains(string(b), "\nfunc Example") || strings.HasPrefix(filepath.ToSlash(rel), "examples/") {
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestREADME checks the repository's README.md: each Go snippet is code that compiles and runs in an
// Example function or an example program, and each `go run` names a program with a test.
func TestREADME(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	src := sources(t)
	blocks := Blocks(string(doc))
	for _, loc := range inlineRun.FindAllStringIndex(string(doc), -1) { // `go run ./x` in prose and tables
		span := string(doc[loc[0]:loc[1]])
		if !strings.Contains(span, "<") { // a placeholder such as ./examples/<name>
			line := 1 + strings.Count(string(doc[:loc[0]]), "\n")
			blocks = append(blocks, Block{Lang: "sh", Line: line, Text: strings.Trim(span, "`")})
		}
	}
	for _, b := range blocks {
		switch b.Lang {
		case "go":
			found := false
			for _, s := range src {
				if Contains(s, b.Text) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("README.md:%d: this Go snippet is not in any Example function or example program; copy it from one (parts may be separated by %q lines):\n%s", b.Line, Elision, b.Text)
			}
		case "sh", "bash", "shell", "":
			for _, target := range RunTargets(b.Text) {
				dir := filepath.Join(root, filepath.FromSlash(target))
				if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
					t.Errorf("README.md:%d: go run %s: no main.go there", b.Line, target)
					continue
				}
				tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
				if len(tests) == 0 {
					t.Errorf("README.md:%d: go run %s: the program has no test, so CI does not prove the command works", b.Line, target)
				}
			}
		}
	}
}

func TestBlocks(t *testing.T) {
	t.Parallel()
	doc := "text\n```go\nfmt.Println(1)\n```\n\n```sh\ngo run ./examples/quickstart\n```\n"
	got := Blocks(doc)
	if len(got) != 2 || got[0].Lang != "go" || got[0].Line != 2 || got[0].Text != "fmt.Println(1)" ||
		got[1].Lang != "sh" || got[1].Text != "go run ./examples/quickstart" {
		t.Errorf("Blocks = %+v", got)
	}
}

func TestContains(t *testing.T) {
	t.Parallel()
	src := "func Example() {\n\ta := 1\n\tb := 2\n\n\tc := 3\n\tfmt.Println(a, b, c)\n}\n"
	tests := []struct {
		snippet string
		want    bool
	}{
		{"a := 1\nb := 2", true},
		{"    a := 1\n\n  b := 2\n", true},     // indentation and blank lines do not matter
		{"b := 2\nc := 3", true},               // a blank line in the source is skipped
		{"a := 1\nc := 3", false},              // not consecutive
		{"a := 1\n// ...\nc := 3", true},       // unless elided
		{"c := 3\n// ...\na := 1", false},      // parts must come in order
		{"a := 1\nb := 3", false},              // a changed line
		{"// ...\nfmt.Println(a, b, c)", true}, // leading elision
	}
	for _, tt := range tests {
		if got := Contains(src, tt.snippet); got != tt.want {
			t.Errorf("Contains(%q) = %t, want %t", tt.snippet, got, tt.want)
		}
	}
}

func TestRunTargets(t *testing.T) {
	t.Parallel()
	sh := "go run ./examples/quickstart\n$ go run github.com/socotra-go/sdk/manifest/cmd/manifestcheck -strict socotra-app.json\ngo test ./...\n"
	got := RunTargets(sh)
	if len(got) != 2 || got[0] != "./examples/quickstart" || got[1] != "./manifest/cmd/manifestcheck" {
		t.Errorf("RunTargets = %q", got)
	}
}
