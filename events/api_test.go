package events

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// coreData is api/events/core.json as the tests read it, independently of
// the generator.
type coreData struct {
	Types  map[string]map[string]string `json:"types"`
	Events map[string]struct {
		Data map[string]string `json:"data"`
	} `json:"events"`
}

func readCore(t *testing.T) coreData {
	t.Helper()
	b, err := os.ReadFile("../api/events/core.json")
	if err != nil {
		t.Fatal(err)
	}
	var c coreData
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// readLegacy returns the names listed under the EventType schema's enum in
// api/legacy.yaml, scanning lines so that the root module needs no YAML
// parser.
func readLegacy(t *testing.T) []Name {
	t.Helper()
	b, err := os.ReadFile("../api/legacy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	lines := strings.Split(string(b), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "EventType:" })
	if i < 0 {
		t.Fatal("api/legacy.yaml has no EventType schema")
	}
	schemaIndent := indent(lines[i])
	for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "enum:"; i++ {
		if strings.TrimSpace(lines[i]) != "" && indent(lines[i]) <= schemaIndent {
			t.Fatal("api/legacy.yaml: EventType has no enum")
		}
	}
	var names []Name
	for i++; i < len(lines); i++ {
		item, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "- ")
		if !ok {
			break
		}
		names = append(names, Name(strings.Trim(item, `"'`)))
	}
	return names
}

func TestAllMatchesAPIData(t *testing.T) {
	t.Parallel()
	core := readCore(t)
	legacy := readLegacy(t)
	if len(core.Events) != 193 || len(legacy) != 100 {
		t.Fatalf("api/ holds %d Core and %d Legacy names, want 193 and 100", len(core.Events), len(legacy))
	}
	want := map[Name]Platform{}
	for n := range core.Events {
		want[Name(n)] |= Core
	}
	for _, n := range legacy {
		want[n] |= Legacy
	}

	all := All()
	if len(all) != 288 {
		t.Errorf("len(All()) = %d, want 288", len(all))
	}
	if !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Error("All() is not sorted and unique")
	}
	if len(all) != len(want) {
		t.Errorf("All() has %d names, api/ has %d", len(all), len(want))
	}
	for _, n := range all {
		if want[n] == 0 {
			t.Errorf("All() has %q, which api/ does not", n)
		}
		if n.Platforms() != want[n] {
			t.Errorf("%q.Platforms() = %v, api/ says %v", n, n.Platforms(), want[n])
		}
	}
	both := 0
	for _, p := range want {
		if p == Core|Legacy {
			both++
		}
	}
	if both != 5 {
		t.Errorf("%d names are on both platforms, want 5", both)
	}

	check := func(fn string, got []Name, p Platform) {
		var exp []Name
		for n, q := range want {
			if q.Has(p) {
				exp = append(exp, n)
			}
		}
		slices.Sort(exp)
		if !slices.Equal(got, exp) {
			t.Errorf("%s() = %d names, want the %d sorted names of api/", fn, len(got), len(exp))
		}
	}
	check("CoreNames", CoreNames(), Core)
	check("LegacyNames", LegacyNames(), Legacy)
}

func TestAllReturnsCopy(t *testing.T) {
	t.Parallel()
	for _, fn := range []func() []Name{All, CoreNames, LegacyNames} {
		a := fn()
		a[0] = "changed"
		if fn()[0] == "changed" {
			t.Fatal("modifying the returned slice changed the package's table")
		}
	}
}
