// Package apispec holds the checks run on the OpenAPI specs in api/: both must
// load and validate, every operation must be documented and answer errors with a
// parsed default response, the Legacy event-type enum must match the reference list,
// and the generated clients in internal/coreapi and internal/legacyapi must be
// up to date with the specs.
//
// Run them from the tools module:
//
//	cd tools && go test ./apispec/
package apispec
