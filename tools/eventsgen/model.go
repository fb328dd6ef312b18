package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// coreFile is the layout of api/events/core.json.
type coreFile struct {
	Description string               `json:"description"`
	Types       map[string]fieldList `json:"types"`
	Events      map[string]struct {
		Data    fieldList `json:"data"`
		Group   string    `json:"group"`
		Service string    `json:"service"`
	} `json:"events"`
}

// fieldList is a JSON object of field name to type, in the order of the
// file.
type fieldList []struct{ name, typ string }

func (l *fieldList) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("want an object of field name to type, got %s", b)
	}
	seen := map[string]bool{}
	for d.More() {
		var name, typ string
		tok, err := d.Token()
		if err != nil {
			return err
		}
		name = tok.(string) // object keys are strings
		if err := d.Decode(&typ); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
		if seen[name] {
			return fmt.Errorf("field %q appears twice", name)
		}
		seen[name] = true
		*l = append(*l, struct{ name, typ string }{name, typ})
	}
	return nil
}

// goFile is the layout of api/events/go.json.
type goFile struct {
	Description string            `json:"description"`
	Initialisms []string          `json:"initialisms"`
	Types       map[string]string `json:"types"`
	Structs     map[string]string `json:"structs"`
	Enums       map[string]string `json:"enums"`
	Docs        map[string]string `json:"docs"`
	Fields      map[string]string `json:"fields"`
}

// event is one known name.
type event struct {
	name      string
	ident     string
	core      bool
	legacy    bool
	dataIdent string // Go type of the Core data; "" for Legacy-only names
}

// field is one member of a generated struct.
type field struct {
	json, ident, goType, doc string
}

// structType is a generated struct: a Core data shape or a list page.
type structType struct {
	ident  string
	doc    string // extra sentences from go.json, may be empty
	key    string // field:type pairs, sorted; identifies the shape
	fields []field
	events []string // Core names carrying it; nil for pages
}

// enumType is a generated string enum.
type enumType struct {
	ident  string
	field  string // JSON field it was first seen on
	doc    string
	values []string
}

// model is everything the templates need, in a deterministic order.
type model struct {
	events  []event // sorted by name
	structs []*structType
	pages   []*structType
	enums   []*enumType
	gof     goFile
	core    coreFile
	enumBy  map[string]*enumType // by "enum:..." spelling
	pageBy  map[string]*structType
}

func load(apiDir string) (*model, error) {
	m := &model{enumBy: map[string]*enumType{}, pageBy: map[string]*structType{}}
	if err := readJSON(filepath.Join(apiDir, "events", "core.json"), &m.core); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(apiDir, "events", "go.json"), &m.gof); err != nil {
		return nil, err
	}
	legacy, err := readLegacy(filepath.Join(apiDir, "legacy.yaml"))
	if err != nil {
		return nil, err
	}
	if err := m.buildEvents(legacy); err != nil {
		return nil, err
	}
	if err := m.buildTypes(); err != nil {
		return nil, err
	}
	return m, m.checkIdents()
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readLegacy returns the names at components.schemas.EventType.enum.
func readLegacy(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Components struct {
			Schemas struct {
				EventType struct {
					Enum []string `yaml:"enum"`
				} `yaml:"EventType"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	names := doc.Components.Schemas.EventType.Enum
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: components.schemas.EventType.enum is missing or empty", path)
	}
	return names, nil
}

func (m *model) buildEvents(legacy []string) error {
	byName := map[string]*event{}
	for name := range m.core.Events {
		byName[name] = &event{name: name, core: true}
	}
	for _, name := range legacy {
		e := byName[name]
		if e == nil {
			e = &event{name: name}
			byName[name] = e
		} else if e.legacy {
			return fmt.Errorf("legacy.yaml: EventType enum lists %q twice", name)
		}
		e.legacy = true
	}
	idents := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if err := checkName(name); err != nil {
			return err
		}
		e := byName[name]
		e.ident = constIdent(name)
		if other, ok := idents[e.ident]; ok {
			return fmt.Errorf("%q and %q both become the constant %s", other, name, e.ident)
		}
		idents[e.ident] = name
		m.events = append(m.events, *e)
	}
	return nil
}

// checkName applies the rules of events.Parse, so that no generated
// constant fails to parse.
func checkName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("event name %q: empty or longer than 128 bytes", name)
	}
	for _, seg := range strings.Split(name, ".") {
		if seg == "" || strings.TrimFunc(seg, func(r rune) bool {
			return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
		}) != "" {
			return fmt.Errorf("event name %q: segment %q is empty or holds a character other than a letter, digit or '_'", name, seg)
		}
	}
	return nil
}

// constIdent is the CamelCase of the dotted parts: catchUp.pay.reverse
// becomes CatchUpPayReverse.
func constIdent(name string) string {
	var b strings.Builder
	for _, seg := range strings.Split(name, ".") {
		b.WriteString(upperFirst(seg))
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// goIdent turns a JSON-style name into an exported Go identifier, spelling
// the configured initialisms in capitals (fnolLocator -> FNOLLocator).
func (m *model) goIdent(s string) string {
	var words []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || unicode.IsUpper(rune(s[i])) {
			words = append(words, s[start:i])
			start = i
		}
	}
	for i, w := range words {
		words[i] = upperFirst(w)
		for _, in := range m.gof.Initialisms {
			if strings.EqualFold(w, in) {
				words[i] = in
			}
		}
	}
	return strings.Join(words, "")
}

func (m *model) buildTypes() error {
	// List pages first: data fields refer to them.
	for _, tn := range slices.Sorted(maps.Keys(m.core.Types)) {
		ident, ok := m.gof.Types[tn]
		if !ok {
			return fmt.Errorf("go.json: types has no Go name for core.json type %q", tn)
		}
		st := &structType{ident: ident, doc: m.gof.Docs[ident]}
		if err := m.addFields(st, m.core.Types[tn]); err != nil {
			return fmt.Errorf("core.json type %q: %w", tn, err)
		}
		m.pages = append(m.pages, st)
		m.pageBy[tn] = st
	}
	for tn := range m.gof.Types {
		if m.pageBy[tn] == nil {
			return fmt.Errorf("go.json: types names %q, which core.json does not define", tn)
		}
	}

	shapes := map[string]*structType{}
	groups := map[string]map[string]bool{}
	for i := range m.events {
		e := &m.events[i]
		if !e.core {
			continue
		}
		ev := m.core.Events[e.name]
		var parts []string
		for _, f := range ev.Data {
			parts = append(parts, f.name+":"+f.typ)
		}
		slices.Sort(parts)
		key := strings.Join(parts, ",")
		st := shapes[key]
		if st == nil {
			st = &structType{key: key}
			if err := m.addFields(st, ev.Data); err != nil {
				return fmt.Errorf("core.json event %q: %w", e.name, err)
			}
			shapes[key] = st
			groups[key] = map[string]bool{}
		}
		st.events = append(st.events, e.name)
		groups[key][ev.Group] = true
	}

	used := map[string]bool{}
	idents := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(shapes)) {
		st := shapes[key]
		var names []string
		for _, f := range st.fields {
			names = append(names, f.json)
		}
		slices.Sort(names)
		nameKey := strings.Join(names, ",")
		if ident, ok := m.gof.Structs[nameKey]; ok {
			st.ident = ident
			used[nameKey] = true
		} else if g := slices.Sorted(maps.Keys(groups[key])); len(g) == 1 {
			st.ident = m.goIdent(strings.TrimSuffix(g[0], "Events")) + "Data"
		} else {
			return fmt.Errorf("the data of %s spans groups %v: name it in go.json structs under %q", st.events[0], g, nameKey)
		}
		if other, ok := idents[st.ident]; ok {
			return fmt.Errorf("data shapes {%s} and {%s} are both named %s: give one a name in go.json structs", other, nameKey, st.ident)
		}
		idents[st.ident] = nameKey
		st.doc = m.gof.Docs[st.ident]
		for _, name := range st.events {
			i, _ := slices.BinarySearchFunc(m.events, name, func(e event, n string) int { return strings.Compare(e.name, n) })
			m.events[i].dataIdent = st.ident
		}
		m.structs = append(m.structs, st)
	}
	for key := range m.gof.Structs {
		if !used[key] {
			return fmt.Errorf("go.json: structs names the shape %q, which no Core event has", key)
		}
	}
	slices.SortFunc(m.structs, func(a, b *structType) int { return strings.Compare(a.ident, b.ident) })
	for key := range m.gof.Enums {
		if m.enumBy[key] == nil {
			return fmt.Errorf("go.json: enums names %q, which no field has", key)
		}
	}
	slices.SortFunc(m.enums, func(a, b *enumType) int { return strings.Compare(a.ident, b.ident) })
	for _, ident := range slices.Sorted(maps.Keys(m.gof.Docs)) {
		if !slices.ContainsFunc(m.allTypes(), func(s string) bool { return s == ident }) {
			return fmt.Errorf("go.json: docs has text for %s, which is not a generated type", ident)
		}
	}
	return nil
}

func (m *model) allTypes() []string {
	var out []string
	for _, st := range append(slices.Clone(m.pages), m.structs...) {
		out = append(out, st.ident)
	}
	for _, en := range m.enums {
		out = append(out, en.ident)
	}
	return out
}

// addFields resolves the types of fields and appends them to st in order.
func (m *model) addFields(st *structType, fields fieldList) error {
	for _, f := range fields {
		name := f.name
		doc, ok := m.gof.Fields[name]
		if !ok {
			return fmt.Errorf("field %q has no documentation in go.json fields", name)
		}
		goType, err := m.resolve(name, f.typ)
		if err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
		st.fields = append(st.fields, field{json: name, ident: m.goIdent(name), goType: goType, doc: doc})
	}
	return nil
}

// resolve maps a type spelling of core.json to a Go type.
func (m *model) resolve(fieldName, t string) (string, error) {
	switch {
	case t == "string":
		return "string", nil
	case t == "boolean":
		return "bool", nil
	case strings.HasPrefix(t, "[]"):
		elem, err := m.resolve(fieldName, t[2:])
		return "[]" + elem, err
	case strings.HasPrefix(t, "enum:"):
		return m.enum(fieldName, t)
	}
	if st := m.pageBy[t]; st != nil {
		return st.ident, nil
	}
	return "", fmt.Errorf("unknown type %q (want string, boolean, enum:a|b, []T or a name from core.json types)", t)
}

func (m *model) enum(fieldName, t string) (string, error) {
	if en := m.enumBy[t]; en != nil {
		return en.ident, nil
	}
	values := strings.Split(strings.TrimPrefix(t, "enum:"), "|")
	for _, v := range values {
		if v == "" {
			return "", fmt.Errorf("enum %q has an empty value", t)
		}
	}
	ident, ok := m.gof.Enums[t]
	if !ok {
		ident = m.goIdent(fieldName)
	}
	for _, other := range m.enums {
		if other.ident == ident {
			return "", fmt.Errorf("enums %q (field %q) and %q (field %q) are both named %s: name one in go.json enums",
				"enum:"+strings.Join(other.values, "|"), other.field, t, fieldName, ident)
		}
	}
	en := &enumType{ident: ident, field: fieldName, doc: m.gof.Docs[ident], values: values}
	m.enums = append(m.enums, en)
	m.enumBy[t] = en
	return ident, nil
}

// checkIdents fails when two generated package-level identifiers are equal.
func (m *model) checkIdents() error {
	seen := map[string]string{}
	var errs []error
	add := func(ident, what string) {
		if prev, ok := seen[ident]; ok {
			errs = append(errs, fmt.Errorf("%s and %s both generate the identifier %s", prev, what, ident))
		}
		seen[ident] = what
	}
	for _, e := range m.events {
		add(e.ident, fmt.Sprintf("event %q", e.name))
	}
	for _, st := range append(slices.Clone(m.pages), m.structs...) {
		add(st.ident, "type "+st.ident)
	}
	for _, en := range m.enums {
		add(en.ident, "enum "+en.ident)
		for _, v := range en.values {
			add(en.ident+m.goIdent(v), fmt.Sprintf("enum value %s %q", en.ident, v))
		}
	}
	return errors.Join(errs...)
}
