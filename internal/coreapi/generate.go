// Package coreapi is the client, models and server interface generated from
// api/core.yaml, the Socotra Core webhooks and event stream API.
package coreapi

//go:generate go tool -modfile=../../tools/go.mod oapi-codegen -config cfg.yaml ../../api/core.yaml
