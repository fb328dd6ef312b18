package events

import "slices"

// All returns every known name, Core and Legacy, sorted and without
// duplicates. The slice is a copy the caller may modify.
func All() []Name { return slices.Clone(allNames[:]) }

// CoreNames returns the known names Core sends, sorted.
func CoreNames() []Name { return slices.Clone(coreNames[:]) }

// LegacyNames returns the known names Legacy sends, sorted.
func LegacyNames() []Name { return slices.Clone(legacyNames[:]) }

// Names returns the known names that some platform in p sends, sorted and
// without duplicates: [CoreNames] for [Core], [LegacyNames] for [Legacy],
// [All] for Core|Legacy, and nil for the empty set.
func Names(p Platform) []Name {
	switch p & (Core | Legacy) {
	case Core:
		return CoreNames()
	case Legacy:
		return LegacyNames()
	case Core | Legacy:
		return All()
	}
	return nil
}

// names is [Names] without the copy, for the package's own loops.
func names(p Platform) []Name {
	switch p & (Core | Legacy) {
	case Core:
		return coreNames[:]
	case Legacy:
		return legacyNames[:]
	case Core | Legacy:
		return allNames[:]
	}
	return nil
}
