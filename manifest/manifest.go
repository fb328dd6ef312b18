package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/socotra-go/sdk/events"
	"github.com/tailscale/hujson"
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
	// Kernel is read as Core (an assumption: see [TargetPlatform]).
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
// uses; the other sections (app.fields, socotra.fields, autofill,
// externalRaters, env, performancePlan, changeLogFile, releaseNotesFile,
// keys added later) are read, checked for JSON syntax and otherwise left
// alone. encoding/json writes a Manifest with the manifest's key names,
// without those sections.
type Manifest struct {
	Name           string         `json:"name"`                     // "org/app"
	Version        string         `json:"version"`                  // MAJOR.MINOR.PATCH
	TargetPlatform TargetPlatform `json:"targetPlatform,omitempty"` // empty means ConnectedCore; see [Manifest.Platform]
	Socotra        Socotra        `json:"socotra"`

	src  []byte              // the bytes parsed, for line and column numbers
	file string              // set by Load
	pos  map[string]int      // JSON path -> byte offset of the value parsed there ("path#key": of its key)
	bad  map[string]string   // JSON path -> why the value there was not decoded (a wrong type)
	keys map[string][]string // JSON path of a modelled object -> its keys, in order
}

// Socotra is the manifest's "socotra" section.
type Socotra struct {
	Webhooks []Webhook `json:"webhooks"`
	// Lifecycle lists the lifecycle calls the app asks the Marketplace to
	// make: GET /_app/start for [LifecycleStart], GET /_app/stop for
	// [LifecycleStop]. The platform makes only the calls declared here
	// (Socotra's sample socotra/amp-blueprints,
	// lifecycle-events.sample/socotra-app.json and its README).
	Lifecycle []LifecycleEvent `json:"lifecycle,omitempty"`
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
	Path   string        `json:"path"`   // path on the app's public URL, starting with '/'
	Events []events.Name `json:"events"` // event names to subscribe Path to
}

// Parse reads a manifest. Syntax problems come back as one or more
// [*SyntaxError] (joined with errors.Join), each with its line and column.
// A manifest that parses may still be invalid: call [Manifest.Validate].
func Parse(data []byte) (*Manifest, error) {
	root, errs := parseJSON(data)
	if len(errs) == 1 {
		return nil, errs[0]
	} else if len(errs) > 1 {
		return nil, join(errs)
	}
	m := &Manifest{src: data, pos: map[string]int{"": root.StartOffset}, bad: map[string]string{}, keys: map[string][]string{}}
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
// JSON documents. It keeps a copy of data (for positions in its problems),
// as encoding/json reuses its buffer.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	p, err := Parse(bytes.Clone(data))
	if err != nil {
		return err
	}
	*m = *p
	return nil
}

// decode fills m from the parsed tree, recording where each value was and
// which had the wrong type.
func (m *Manifest) decode(root *hujson.Value) {
	m.members(root, "", func(key, path string, v *hujson.Value) string {
		switch key {
		case "name":
			return decodeString(v, &m.Name)
		case "version":
			return decodeString(v, &m.Version)
		case "targetPlatform":
			return decodeString(v, (*string)(&m.TargetPlatform))
		case "socotra":
			return m.decodeSocotra(v, path)
		}
		return ""
	})
}

func (m *Manifest) decodeSocotra(v *hujson.Value, path string) string {
	if v.Value.Kind() != '{' {
		return "must be an object, found " + kindName(v)
	}
	m.members(v, path, func(key, path string, v *hujson.Value) (bad string) {
		switch key {
		case "lifecycle":
			m.Socotra.Lifecycle, bad = decodeStrings[LifecycleEvent](m, v, path, `an array such as ["start", "stop"]`)
		case "webhooks":
			arr, ok := v.Value.(*hujson.Array)
			if !ok {
				return "must be an array of webhook entries, found " + kindName(v)
			}
			for i, e := range arr.Elements {
				if e.Value.Kind() != '{' {
					return fmt.Sprintf("entry %d must be an object with \"path\" and \"events\", found %s", i, kindName(&e))
				}
			}
			m.Socotra.Webhooks = make([]Webhook, len(arr.Elements))
			for i := range arr.Elements {
				m.decodeWebhook(&arr.Elements[i], fmt.Sprintf("%s[%d]", path, i), &m.Socotra.Webhooks[i])
			}
		}
		return bad
	})
	return ""
}

func (m *Manifest) decodeWebhook(v *hujson.Value, path string, w *Webhook) {
	m.pos[path] = v.StartOffset
	m.members(v, path, func(key, path string, v *hujson.Value) (bad string) {
		switch key {
		case "path":
			return decodeString(v, &w.Path)
		case "events":
			w.Events, bad = decodeStrings[events.Name](m, v, path, "an array of event names")
		}
		return bad
	})
}

// members records the position of each member of obj and its key, and
// the problem decode returns for its value, if any.
func (m *Manifest) members(obj *hujson.Value, prefix string, decode func(key, path string, v *hujson.Value) string) {
	m.keys[prefix] = []string{}
	for _, mem := range obj.Value.(*hujson.Object).Members {
		key := unquote(mem.Name)
		path := joinPath(prefix, key)
		m.pos[path] = mem.Value.StartOffset
		m.pos[path+"#key"] = mem.Name.StartOffset
		m.keys[prefix] = append(m.keys[prefix], key)
		if bad := decode(key, path, &mem.Value); bad != "" {
			m.bad[path] = bad
		}
	}
}

func decodeString(v *hujson.Value, dst *string) string {
	if v.Value.Kind() != '"' {
		return "must be a string, found " + kindName(v)
	}
	*dst = unquote(*v)
	return ""
}

// decodeStrings decodes an array of strings, or says why it cannot.
func decodeStrings[T ~string](m *Manifest, v *hujson.Value, path, what string) ([]T, string) {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		return nil, "must be " + what + ", found " + kindName(v)
	}
	out := make([]T, len(arr.Elements))
	for i, e := range arr.Elements {
		if e.Value.Kind() != '"' {
			return nil, fmt.Sprintf("element %d must be a string, found %s", i, kindName(&e))
		}
		out[i] = T(unquote(e))
		m.pos[fmt.Sprintf("%s[%d]", path, i)] = e.StartOffset
	}
	return out, ""
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
