package readme

import (
	"bufio"
	"regexp"
	"strings"
)

// Block is a fenced code block of a Markdown document.
type Block struct {
	Lang string // the word after the opening fence, such as "go" or "sh"
	Line int    // 1-based line of the opening fence
	Text string
}

// Blocks returns the fenced code blocks of doc, in order.
func Blocks(doc string) []Block {
	var (
		out  []Block
		cur  *Block
		body []string
	)
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fence := strings.HasPrefix(strings.TrimSpace(line), "```")
		switch {
		case fence && cur == nil:
			cur = &Block{Lang: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "```")), Line: n}
			body = body[:0]
		case fence:
			cur.Text = strings.Join(body, "\n")
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	return out
}

// Elision is the line a snippet uses to leave out code between two parts.
const Elision = "// ..."

// Contains reports whether every part of snippet (the parts are separated by Elision lines) occurs in
// src as consecutive lines, the parts in order. Lines are compared without their indentation, and blank
// lines are ignored on both sides.
func Contains(src, snippet string) bool {
	have := lines(src)
	pos := 0
	for _, part := range strings.Split(snippet, "\n"+Elision+"\n") {
		want := lines(strings.TrimPrefix(strings.TrimSuffix(part, "\n"+Elision), Elision+"\n"))
		if len(want) == 0 {
			continue
		}
		i := index(have[pos:], want)
		if i < 0 {
			return false
		}
		pos += i + len(want)
	}
	return true
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func index(have, want []string) int {
	for i := 0; i+len(want) <= len(have); i++ {
		match := true
		for j := range want {
			if have[i+j] != want[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

var goRun = regexp.MustCompile(`(?m)^\s*(?:\$\s*)?go run (?:-\S+ )*(\./\S+|github\.com/socotra-go/sdk/\S+)`)

// RunTargets returns the package paths of the `go run` commands in a shell block, relative to the
// repository root (github.com/socotra-go/sdk/x becomes ./x).
func RunTargets(sh string) []string {
	var out []string
	for _, m := range goRun.FindAllStringSubmatch(sh, -1) {
		out = append(out, "./"+strings.TrimPrefix(strings.TrimPrefix(m[1], "./"), "github.com/socotra-go/sdk/"))
	}
	return out
}
