package manifest

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/editdist"
)

// Problem is one thing wrong with a manifest that parses: an error, or with
// Warning set, something the platform accepts but that is probably a mistake
// (an event name the SDK does not know, an unknown key in a webhook entry).
type Problem struct {
	Path    string // JSON path of the value, e.g. "socotra.webhooks[1].events[0]"
	File    string // file name when the manifest came from [Load]
	Line    int    // 1-based line, 0 when the value is not from parsed input
	Column  int    // 1-based column in characters, 0 when unknown
	Message string // what is wrong
	Hint    string // how to fix it; may be empty
	Warning bool   // the platform would accept the manifest anyway
}

// Error returns the location, path, message and hint on one line.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("manifest: ")
	switch {
	case p.Line > 0:
		b.WriteString(location(p.File, p.Line, p.Column) + ": ")
	case p.File != "":
		b.WriteString(p.File + ": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Text())
	return b.String()
}

// Text returns the path, message and hint without the location, as the
// checker prints after "file:line:col: ".
func (p *Problem) Text() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Hint != "" {
		s += "; " + p.Hint
	}
	return s
}

// Validate reports every error in m at once, joined with errors.Join; each
// is a [*Problem] with its JSON path and, for parsed manifests, its line and
// column. It returns nil when m is valid. Warnings do not make m invalid; see
// [Manifest.Warnings] and [Manifest.ValidateStrict].
//
// The rules: name is "org/app"; version is MAJOR.MINOR.PATCH (digits only);
// targetPlatform, when present, is one of the values in the table of
// [TargetPlatform] (ConnectedCore, EnterpriseCore, kernel); every
// socotra.webhooks entry has a path that starts with '/', is not under the
// reserved /_app/, has no query or fragment and is not repeated, and a
// non-empty events list without duplicates whose names are well-formed
// ([events.Parse]).
func (m *Manifest) Validate() error {
	errs, _ := m.Check()
	return join(errs)
}

// ValidateStrict is [Manifest.Validate] with warnings reported as errors.
func (m *Manifest) ValidateStrict() error {
	errs, warns := m.Check()
	return join(sortProblems(append(errs, warns...)))
}

// Warnings lists what m's platform accepts but is probably a mistake: event
// names the target platform never sends (the webhook would never fire; the
// warning names the event, the platform and the nearest name that platform
// sends), event names the SDK does not know (with a "did you mean" among
// the target platform's names when one is close), unknown keys in webhook
// entries, keys that look like misspelt known keys.
func (m *Manifest) Warnings() []*Problem {
	_, warns := m.Check()
	return warns
}

// Check returns m's errors and warnings separately, each in document order.
func (m *Manifest) Check() (errs, warnings []*Problem) {
	c := &checker{m: m}
	c.manifest()
	for _, p := range sortProblems(c.all) {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	return errs, warnings
}

// join joins es with errors.Join.
func join[E error](es []E) error {
	all := make([]error, len(es))
	for i, e := range es {
		all[i] = e
	}
	return errors.Join(all...)
}

// sortProblems orders located problems by position, then unlocated ones.
func sortProblems(ps []*Problem) []*Problem {
	slices.SortStableFunc(ps, func(a, b *Problem) int {
		switch {
		case a.Line == 0 || b.Line == 0:
			return b.Line - a.Line // located first; unlocated keep their order
		case a.Line != b.Line:
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return ps
}

type checker struct {
	m   *Manifest
	all []*Problem
}

// report adds a problem at path, locating it at the nearest parsed value.
func (c *checker) report(warn bool, path, msg, hint string) {
	p := &Problem{Path: strings.TrimSuffix(path, "#key"), File: c.m.file, Message: msg, Hint: hint, Warning: warn}
	for at := path; ; at = parentPath(at) {
		if off, ok := c.m.pos[at]; ok {
			p.Line, p.Column = lineCol(c.m.src, off)
			break
		}
		if at == "" {
			break
		}
	}
	c.all = append(c.all, p)
}

func (c *checker) errorf(path, hint, format string, args ...any) {
	c.report(false, path, fmt.Sprintf(format, args...), hint)
}

func (c *checker) warnf(path, hint, format string, args ...any) {
	c.report(true, path, fmt.Sprintf(format, args...), hint)
}

// parentPath drops the last element of a JSON path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

var (
	nameRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)
	versionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
)

func (c *checker) manifest() {
	m := c.m
	bad := c.typed("", map[string]bool{"name": m.Name == "", "version": m.Version == "", "targetPlatform": m.TargetPlatform == "",
		"socotra": m.Socotra.Webhooks == nil && m.Socotra.Lifecycle == nil})
	c.nearKeys("", "name", "version", "targetPlatform", "socotra")
	switch {
	case bad["name"]:
	case m.Name == "":
		c.errorf("name", `add "name": "org-name/app-name"`, "name is missing")
	case !nameRe.MatchString(m.Name):
		c.errorf("name", `write it as "org-name/app-name": two parts of letters, digits, '-', '_' or '.', joined by one '/'`,
			"%q is not an org/app name", m.Name)
	}
	switch {
	case bad["version"]:
	case m.Version == "":
		c.errorf("version", `add "version": "1.0.0"`, "version is missing")
	case !versionRe.MatchString(m.Version):
		c.errorf("version", versionHint(m.Version), "%q is not a MAJOR.MINOR.PATCH version", m.Version)
	}
	switch tp := m.TargetPlatform; tp {
	case "":
		if _, present := m.pos["targetPlatform"]; present && !bad["targetPlatform"] {
			c.errorf("targetPlatform", `remove it for the default, ConnectedCore, or write "EnterpriseCore"`, "targetPlatform is empty")
		}
	case ConnectedCore, EnterpriseCore, Kernel:
	default:
		if bad["targetPlatform"] {
			break
		}
		hint := didYouMean(string(tp), `use "ConnectedCore" (the default) or "EnterpriseCore"`, string(ConnectedCore), string(EnterpriseCore))
		c.errorf("targetPlatform", hint, "unknown target platform %q", tp)
	}
	if bad["socotra"] {
		return
	}
	sbad := c.typed("socotra", map[string]bool{"webhooks": m.Socotra.Webhooks == nil, "lifecycle": m.Socotra.Lifecycle == nil})
	c.nearKeys("socotra", "webhooks", "lifecycle")
	if !sbad["lifecycle"] {
		c.lifecycle("socotra.lifecycle", m.Socotra.Lifecycle)
	}
	if sbad["webhooks"] {
		return
	}
	seen := map[string]int{}
	for i, w := range m.Socotra.Webhooks {
		c.webhook(fmt.Sprintf("socotra.webhooks[%d]", i), w, seen, i)
	}
}

// lifecycle warns about socotra.lifecycle values the Marketplace is not
// known to call (so the hook they were meant for would never run) and about
// repeats.
func (c *checker) lifecycle(path string, evs []LifecycleEvent) {
	known := []string{string(LifecycleStart), string(LifecycleStop)}
	seen := map[LifecycleEvent]bool{}
	for i, e := range evs {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case seen[e]:
			c.warnf(p, "remove the repeat", "lifecycle %q is listed twice", e)
		case !slices.Contains(known, string(e)):
			hint := didYouMean(string(e), `the Marketplace calls "start" (GET /_app/start) and "stop" (GET /_app/stop)`, known...)
			c.warnf(p, hint, "unknown lifecycle %q: no call is known for it", e)
		}
		seen[e] = true
	}
}

func versionHint(v string) string {
	switch t := strings.TrimPrefix(v, "v"); {
	case t != v && versionRe.MatchString(t):
		return fmt.Sprintf("drop the 'v': write %q", t)
	case strings.ContainsAny(v, "-+"):
		return "pre-release and build suffixes are not allowed; use three numbers such as \"1.0.0\""
	case strings.Count(v, ".") < 2:
		return `use three numbers separated by dots, such as "1.0.0"`
	}
	return `use three numbers without leading zeros, such as "1.0.0"`
}

func (c *checker) webhook(path string, w Webhook, seen map[string]int, i int) {
	bad := c.typed(path, map[string]bool{"path": w.Path == "", "events": w.Events == nil})
	for _, key := range c.m.keys[path] {
		if key == "path" || key == "events" {
			continue
		}
		hint := didYouMean(key, `webhook entries have only "path" and "events"; the platform ignores other keys`, "path", "events")
		c.warnf(joinPath(path, key)+"#key", hint, "unknown key %q in a webhook entry", key)
	}
	if !bad["path"] {
		c.webhookPath(path+".path", w.Path)
	}
	if first, dup := seen[w.Path]; dup && w.Path != "" {
		c.errorf(path+".path", "merge the two entries' events into one entry",
			"path %q is repeated (first in socotra.webhooks[%d])", w.Path, first)
	} else {
		seen[w.Path] = i
	}
	if !bad["events"] {
		c.events(path+".events", w.Events, c.m.TargetPlatform)
	}
}

func (c *checker) webhookPath(path, p string) {
	readAs, reserved := reservedRoute(p)
	switch {
	case p == "":
		c.errorf(path, `add "path": "/webhooks" with the route your app serves the deliveries on`, "path is missing")
		return
	case strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://"):
		u, _ := url.Parse(p)
		hint := `the platform prefixes the app's public URL; give only the path, such as "/webhooks"`
		if u != nil && u.Path != "" {
			hint = fmt.Sprintf("the platform prefixes the app's public URL; write %q", u.Path)
		}
		c.errorf(path, hint, "%q is a URL, not a path", p)
		return
	case !strings.HasPrefix(p, "/"):
		c.errorf(path, fmt.Sprintf("write %q", "/"+p), "%q must start with '/'", p)
		return
	case p == "/_app" || strings.HasPrefix(p, "/_app/"):
		c.errorf(path, `choose another path, such as "/webhooks"`,
			"%q is under /_app/, which is reserved for the Marketplace runtime", p)
	case dotSegment(p):
		c.errorf(path, "write the path without . and .. segments", "%q has a dot segment, which clients resolve to another path", p)
	case reserved:
		c.errorf(path, `choose another path, such as "/webhooks"`,
			"%q is read as %q, under /_app/, which is reserved for the Marketplace runtime", p, readAs)
	case strings.ContainsAny(p, "?#"):
		c.errorf(path, "put the information in the path itself; the platform adds nothing after it",
			"%q has a query or fragment", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		c.errorf(path, "percent-encode spaces and control characters (a space is %20)",
			"%q contains spaces or control characters", p)
	}
	if _, err := url.Parse("http://host" + p); err != nil {
		c.errorf(path, "percent-encode the characters a URL does not allow", "%q is not a valid URL path", p)
	}
}

// events checks one entry's names against tp, the manifest's target
// platform; with an unknown tp (already an error) names of either platform
// pass.
func (c *checker) events(path string, names []events.Name, tp TargetPlatform) {
	on := tp.Events()
	if on == 0 {
		on = events.Core | events.Legacy
	}
	if len(names) == 0 {
		c.errorf(path, `list the event names to receive, such as ["policy.create"]`, "no events listed")
		return
	}
	first := map[events.Name]int{}
	for i, n := range names {
		at := fmt.Sprintf("%s[%d]", path, i)
		if j, dup := first[n]; dup {
			c.errorf(at, "remove one of them", "event %q is listed twice (first at %s[%d])", n, path, j)
			continue
		}
		first[n] = i
		if _, err := events.Parse(string(n)); err != nil {
			c.errorf(at, suggestHint(n, on, "event names are dot-separated words, such as \"policy.quote.accept\""),
				"%s", strings.TrimPrefix(err.Error(), "events: "))
			continue
		}
		switch {
		case n.ForeignTo(on):
			hint := fmt.Sprintf("%s sends no name near it; see events.Names", tp.Describe())
			if near, ok := events.NearestOn(string(n), on); ok {
				hint = fmt.Sprintf("the nearest %s name is %q", tp.Describe(), near)
			}
			c.warnf(at, hint, "%q is sent only by %s, never by %s: this webhook would never fire for it",
				n, platformName(n.Platforms()), tp.Describe())
		case !n.Known():
			c.warnf(at, suggestHint(n, on, "allowed, as Socotra adds event names; check the spelling"),
				"%q is not an event name this SDK knows", n)
		}
	}
}

// platformName names a set of event platforms for messages.
func platformName(p events.Platform) string {
	switch p {
	case events.Core:
		return "Core (EnterpriseCore)"
	case events.Legacy:
		return "Legacy (ConnectedCore)"
	}
	return p.String()
}

// suggestHint returns a "did you mean" for n among the names of on, or
// fallback.
func suggestHint(n events.Name, on events.Platform, fallback string) string {
	if s, ok := events.SuggestOn(string(n), on); ok && s != n {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fallback
}

// typed reports the members of the object at prefix whose values had the
// wrong type and are still unset in code (unset[key]), and returns their
// keys so their rules are skipped.
func (c *checker) typed(prefix string, unset map[string]bool) map[string]bool {
	bad := map[string]bool{}
	for _, key := range c.m.keys[prefix] {
		if !unset[key] {
			continue
		}
		path := joinPath(prefix, key)
		if msg, ok := c.m.bad[path]; ok {
			c.errorf(path, "", "%s", msg)
			bad[key] = true
		}
	}
	return bad
}

// nearKeys warns about keys that look like a misspelling of a known key.
func (c *checker) nearKeys(prefix string, known ...string) {
	for _, key := range c.m.keys[prefix] {
		if slices.Contains(known, key) {
			continue
		}
		if hint := didYouMean(key, "", known...); hint != "" {
			c.warnf(joinPath(prefix, key)+"#key", hint, "unknown key %q is kept but not used", key)
		}
	}
}

// didYouMean returns "did you mean …?" naming the value in known that s is
// likely a typo of (case, '_' and '-' aside, or within two edits), or
// fallback.
func didYouMean(s, fallback string, known ...string) string {
	k := normKey(s)
	for _, want := range known {
		w := normKey(want)
		if k == w || len(w) > 3 && editdist.Distance(k, w, false, 2) <= 2 {
			return fmt.Sprintf("did you mean %q?", want)
		}
	}
	return fallback
}

// normKey lowercases s and drops '_' and '-'.
func normKey(s string) string {
	return strings.ToLower(keySeparators.Replace(s))
}

var keySeparators = strings.NewReplacer("_", "", "-", "")
