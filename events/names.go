package events

import "slices"

// All returns every known name, Core and Legacy, sorted and without
// duplicates. The slice is a copy the caller may modify.
func All() []Name { return slices.Clone(allNames[:]) }

// CoreNames returns the known names Core sends, sorted.
func CoreNames() []Name { return slices.Clone(coreNames[:]) }

// LegacyNames returns the known names Legacy sends, sorted.
func LegacyNames() []Name { return slices.Clone(legacyNames[:]) }
