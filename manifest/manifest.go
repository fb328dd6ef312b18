package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/socotra-go/sdk/events"
)

// FileName is the name the Marketplace gives an app's manifest.
const FileName = "socotra-app.json"

// TargetPlatform names the Socotra platform an app is built for, as the
// manifest's "targetPlatform" writes it. This is the one table of the values
// the SDK accepts and the platform each means:
//
//	value            events of       source
//	(absent)         Legacy          seed 000 and the Marketplace manifest reference: the default is ConnectedCore
//	"ConnectedCore"  Legacy          seed 000; Connected Core is the platform the SDK calls Legacy
//	"EnterpriseCore" Core            seed 000; Enterprise Core is the platform the SDK calls Core
//	"kernel"         Core (assumed)  socotra/amp-blueprints, branch webhook-kernel, webhooks-kernel.sample/socotra-app.json
//
// "kernel" is not in the published reference. The SDK treats it as Core
// because that sample sets it on a copy of the ConnectedCore webhooks sample
// (webhooks.sample, which names no targetPlatform) to target another
// platform, and Enterprise Core is the only other one. The copy still lists
// the ConnectedCore sample's events, seven of them sent only by Legacy
// (policy.create, invoice.issue, …), so that manifest passes with warnings
// and fails -strict. This reading is unconfirmed; [TargetPlatform.Events]
// is where it lives.
type TargetPlatform string

// The platforms a manifest can target; see [TargetPlatform] for the table.
const (
	// ConnectedCore is the default when a manifest names no targetPlatform:
	// Socotra Connected Core, whose events are [events.Legacy] names.
	ConnectedCore TargetPlatform = "ConnectedCore"
	// EnterpriseCore targets Socotra Enterprise Core, whose events are
	// [events.Core] names.
	EnterpriseCore TargetPlatform = "EnterpriseCore"
	// Kernel is the value Socotra's own sample manifest on branch
	// webhook-kernel of socotra/amp-blueprints uses; the SDK treats it as
	// Core (an assumption: see [TargetPlatform]).
	Kernel TargetPlatform = "kernel"
)

// Events returns the platform whose event names t's apps receive:
// [events.Legacy] for ConnectedCore and for the empty value (the default),
// [events.Core] for EnterpriseCore and kernel, and 0 for any other value.
func (t TargetPlatform) Events() events.Platform {
	switch t {
	case "", ConnectedCore:
		return events.Legacy
	case EnterpriseCore, Kernel:
		return events.Core
	}
	return 0
}

// Describe names t for messages: "EnterpriseCore (Core)",
// "ConnectedCore (Legacy)", "kernel (Core)".
func (t TargetPlatform) Describe() string {
	if t == "" {
		t = ConnectedCore
	}
	switch t.Events() {
	case events.Core:
		return string(t) + " (Core)"
	case events.Legacy:
		return string(t) + " (Legacy)"
	}
	return string(t)
}

// Manifest is a parsed socotra-app.json. The fields are the parts the SDK
// uses; every other section (app.fields, socotra.fields, autofill,
// externalRaters, env, performancePlan, changeLogFile,
// releaseNotesFile, keys added later) is kept as written, in its original
// order, and [Manifest.MarshalJSON] writes it back unchanged.
type Manifest struct {
	Name           string         // "org/app"
	Version        string         // MAJOR.MINOR.PATCH
	TargetPlatform TargetPlatform // empty means ConnectedCore; see [Manifest.Platform]
	Socotra        Socotra

	obj  object  // original members, in order
	src  []byte  // the bytes parsed, for line and column numbers
	file string  // set by Load
	pos  pathPos // JSON path -> byte offset of the value parsed there
}

// Socotra is the manifest's "socotra" section.
type Socotra struct {
	Webhooks []Webhook
	// Lifecycle lists the lifecycle calls the app asks the Marketplace to
	// make: GET /_app/start for [LifecycleStart], GET /_app/stop for
	// [LifecycleStop]. The platform makes only the calls declared here
	// (Socotra's sample socotra/amp-blueprints,
	// lifecycle-events.sample/socotra-app.json and its README).
	Lifecycle []LifecycleEvent
	obj       object
}

// LifecycleEvent is a value of socotra.lifecycle.
type LifecycleEvent string

// The lifecycle calls the Marketplace makes (socotra/amp-blueprints,
// lifecycle-events.sample).
const (
	// LifecycleStart asks for GET /_app/start?route=<public URL> when an
	// instance of the app starts.
	LifecycleStart LifecycleEvent = "start"
	// LifecycleStop asks for GET /_app/stop when a customer stops it.
	LifecycleStop LifecycleEvent = "stop"
)

// Declares reports whether socotra.lifecycle lists e.
func (s *Socotra) Declares(e LifecycleEvent) bool { return slices.Contains(s.Lifecycle, e) }

// Webhook is one entry of socotra.webhooks: the platform registers the app's
// public URL joined with Path for Events.
type Webhook struct {
	Path   string        // path on the app's public URL, starting with '/'
	Events []events.Name // event names to subscribe Path to
	obj    object
}

// object keeps a JSON object's members in order. Members the SDK models
// keep raw only when their value had the wrong type, so nothing is lost.
type object struct {
	present bool // the object was in the parsed input
	members []member
}

type member struct {
	key string
	raw json.RawMessage // the value as written; nil for a well-typed modelled member
	bad string          // why a modelled member's value was not decoded
}

type pathPos map[string]int

// Parse reads a manifest. Syntax problems come back as one or more
// [*SyntaxError] (joined with errors.Join), each with its line and column.
// A manifest that parses may still be invalid: call [Manifest.Validate].
func Parse(data []byte) (*Manifest, error) {
	root, errs := parseJSON(data)
	if len(errs) > 0 {
		return nil, joinSyntax(errs)
	}
	m := &Manifest{src: data, pos: pathPos{"": root.start}}
	m.decode(root)
	return m, nil
}

// Load reads and parses the manifest file at path. Errors name the file.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := Parse(data)
	if err != nil {
		for _, e := range SyntaxErrors(err) {
			e.File = path
		}
		return nil, err
	}
	m.file = path
	return m, nil
}

func joinSyntax(errs []*SyntaxError) error {
	if len(errs) == 1 {
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// SyntaxErrors lists the syntax errors in an error returned by [Parse] or
// [Load], in the order they occur; it returns nil for other errors.
func SyntaxErrors(err error) []*SyntaxError {
	var out []*SyntaxError
	var one *SyntaxError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, SyntaxErrors(e)...)
		}
	} else if errors.As(err, &one) {
		out = append(out, one)
	}
	return out
}

// Platform returns TargetPlatform, or ConnectedCore when it is empty. Its
// [TargetPlatform.Events] is the platform whose names the manifest's
// webhooks may list.
func (m *Manifest) Platform() TargetPlatform {
	if m.TargetPlatform == "" {
		return ConnectedCore
	}
	return m.TargetPlatform
}

// UnmarshalJSON parses data like [Parse], so a Manifest can sit inside other
// JSON documents.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*m = *p
	return nil
}

// decode fills m from the parsed tree, keeping what it does not model.
func (m *Manifest) decode(root *node) {
	m.obj = m.members(root, "", func(key, path string, v *node) string {
		switch key {
		case "name":
			return m.decodeString(v, path, &m.Name)
		case "version":
			return m.decodeString(v, path, &m.Version)
		case "targetPlatform":
			var s string
			bad := m.decodeString(v, path, &s)
			m.TargetPlatform = TargetPlatform(s)
			return bad
		case "socotra":
			return m.decodeSocotra(v, path)
		}
		return "-"
	})
}

func (m *Manifest) decodeSocotra(v *node, path string) string {
	if v.kind != '{' {
		return "must be an object, found " + v.kindName()
	}
	m.Socotra.obj = m.members(v, path, func(key, path string, v *node) string {
		if key == "lifecycle" {
			return m.decodeLifecycle(v, path)
		}
		if key != "webhooks" {
			return "-"
		}
		if v.kind != '[' {
			return "must be an array of webhook entries, found " + v.kindName()
		}
		for i, e := range v.vals {
			if e.kind != '{' {
				return fmt.Sprintf("entry %d must be an object with \"path\" and \"events\", found %s", i, e.kindName())
			}
		}
		hooks := make([]Webhook, len(v.vals))
		for i, e := range v.vals {
			hooks[i] = m.decodeWebhook(e, fmt.Sprintf("%s[%d]", path, i))
		}
		m.Socotra.Webhooks = hooks
		return ""
	})
	return ""
}

func (m *Manifest) decodeLifecycle(v *node, path string) string {
	if v.kind != '[' {
		return `must be an array such as ["start", "stop"], found ` + v.kindName()
	}
	for i, e := range v.vals {
		if e.kind != '"' {
			return fmt.Sprintf("element %d must be a string, found %s", i, e.kindName())
		}
	}
	m.Socotra.Lifecycle = make([]LifecycleEvent, len(v.vals))
	for i, e := range v.vals {
		m.Socotra.Lifecycle[i] = LifecycleEvent(e.str)
		m.pos[fmt.Sprintf("%s[%d]", path, i)] = e.start
	}
	return ""
}

func (m *Manifest) decodeWebhook(v *node, path string) Webhook {
	var w Webhook
	m.pos[path] = v.start
	w.obj = m.members(v, path, func(key, path string, v *node) string {
		switch key {
		case "path":
			return m.decodeString(v, path, &w.Path)
		case "events":
			if v.kind != '[' {
				return "must be an array of event names, found " + v.kindName()
			}
			for i, e := range v.vals {
				if e.kind != '"' {
					return fmt.Sprintf("element %d must be a string, found %s", i, e.kindName())
				}
			}
			w.Events = make([]events.Name, len(v.vals))
			for i, e := range v.vals {
				w.Events[i] = events.Name(e.str)
				m.pos[fmt.Sprintf("%s[%d]", path, i)] = e.start
			}
			return ""
		}
		return "-"
	})
	return w
}

// members records obj's members in order. decode handles one member and
// returns "" when it stored the value, "-" when the key is not modelled, or
// why the value could not be stored.
func (m *Manifest) members(obj *node, prefix string, decode func(key, path string, v *node) string) object {
	out := object{present: true}
	for i, key := range obj.keys {
		v := obj.vals[i]
		path := joinPath(prefix, key)
		m.pos[path] = v.start
		m.pos[path+"#key"] = obj.keyPos[i]
		mem := member{key: key}
		switch bad := decode(key, path, v); bad {
		case "":
		case "-":
			mem.raw = json.RawMessage(m.src[v.start:v.end])
		default:
			mem.raw = json.RawMessage(m.src[v.start:v.end])
			mem.bad = bad
		}
		out.members = append(out.members, mem)
	}
	return out
}

func (m *Manifest) decodeString(v *node, path string, dst *string) string {
	if v.kind != '"' {
		return "must be a string, found " + v.kindName()
	}
	*dst = v.str
	return ""
}

// joinPath appends key to a JSON path, quoting keys that are not plain names.
func joinPath(prefix, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		if !isIdentByte(key[i]) && !(i > 0 && key[i] >= '0' && key[i] <= '9') {
			plain = false
		}
	}
	switch {
	case !plain:
		return prefix + "[" + strconv.Quote(key) + "]"
	case prefix == "":
		return key
	}
	return prefix + "." + key
}

// MarshalJSON writes the manifest as indented JSON: the members it was parsed
// from in their original order, modelled ones from the current field values,
// the others exactly as they were; then modelled fields set in code.
func (m Manifest) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeObject(&buf, m.obj, m.fields()); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// MarshalJSON writes the socotra section; see [Manifest.MarshalJSON].
func (s Socotra) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	err := writeObject(&buf, s.obj, s.fields())
	return buf.Bytes(), err
}

// MarshalJSON writes one webhook entry; see [Manifest.MarshalJSON].
func (w Webhook) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	err := writeObject(&buf, w.obj, w.fields())
	return buf.Bytes(), err
}

// fields lists the modelled members of each object with their current values.
func (m *Manifest) fields() []field {
	return []field{
		{"name", m.Name, m.Name != ""},
		{"version", m.Version, m.Version != ""},
		{"targetPlatform", m.TargetPlatform, m.TargetPlatform != ""},
		{"socotra", m.Socotra, m.Socotra.Webhooks != nil || m.Socotra.Lifecycle != nil || m.Socotra.obj.present},
	}
}

func (s *Socotra) fields() []field {
	return []field{{"webhooks", s.Webhooks, s.Webhooks != nil}, {"lifecycle", s.Lifecycle, s.Lifecycle != nil}}
}

func (w *Webhook) fields() []field {
	evs := w.Events
	if evs == nil {
		evs = []events.Name{}
	}
	return []field{{"path", w.Path, w.Path != ""}, {"events", evs, w.Events != nil}}
}

// field is a modelled member: its key, current value, and whether it is set.
type field struct {
	key string
	val any
	set bool
}

// writeObject writes obj's members in order, taking modelled ones from
// fields, then the set fields obj did not have.
func writeObject(buf *bytes.Buffer, obj object, fields []field) error {
	done := map[string]bool{}
	sep := ""
	write := func(key string, val any, raw json.RawMessage) error {
		if raw == nil {
			var err error
			if raw, err = encode(val); err != nil {
				return err
			}
		}
		k, _ := encode(key)
		buf.WriteString(sep)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(raw)
		sep = ","
		return nil
	}
	buf.WriteByte('{')
	for _, mem := range obj.members {
		f, modelled := lookup(fields, mem.key)
		var err error
		switch {
		case !modelled:
			err = write(mem.key, nil, mem.raw)
		case done[mem.key]:
		case mem.bad != "" && !f.set:
			err = write(mem.key, nil, mem.raw) // keep a wrongly typed value until the field is set
		default:
			err = write(mem.key, f.val, nil)
		}
		if err != nil {
			return err
		}
		if modelled {
			done[mem.key] = true
		}
	}
	for _, f := range fields {
		if f.set && !done[f.key] {
			if err := write(f.key, f.val, nil); err != nil {
				return err
			}
		}
	}
	buf.WriteByte('}')
	return nil
}

func lookup(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// encode marshals v without escaping '<', '>' and '&'.
func encode(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
