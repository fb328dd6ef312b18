// Package legacyapi is the client, models and server interface generated from
// api/legacy.yaml, the Socotra Legacy (Connected Core) webhooks, integrations and
// authentication API.
package legacyapi

//go:generate go tool -modfile=../../tools/go.mod oapi-codegen -config cfg.yaml ../../api/legacy.yaml
