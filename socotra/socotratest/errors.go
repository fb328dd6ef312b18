package socotratest

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/socotra-go/sdk/internal/legacyapi"
)

// fieldError is one problem with a request member, named by its JSON path.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fieldErrors collects request problems so that a 400 lists them all at once.
type fieldErrors []fieldError

func (fe *fieldErrors) add(field, format string) { *fe = append(*fe, fieldError{field, format}) }

func (fe fieldErrors) message() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// coreError is the body of a Core error. The real shape is not published; this one carries the
// status, a message and the field errors.
type coreError struct {
	Status      int          `json:"httpStatus"`
	Error       string       `json:"error"`
	Message     string       `json:"message"`
	FieldErrors []fieldError `json:"fieldErrors,omitempty"`
}

func writeCoreError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, coreError{Status: status, Error: http.StatusText(status), Message: msg})
}

func writeCoreFieldErrors(w http.ResponseWriter, fe fieldErrors) {
	writeJSON(w, http.StatusBadRequest, coreError{
		Status: http.StatusBadRequest, Error: http.StatusText(http.StatusBadRequest),
		Message: fe.message(), FieldErrors: fe,
	})
}

func writeLegacyError(w http.ResponseWriter, r *http.Request, status int, msg string, fe ...fieldError) {
	var fields *[]legacyapi.FieldError
	if len(fe) > 0 {
		list := make([]legacyapi.FieldError, len(fe))
		for i := range fe {
			list[i] = legacyapi.FieldError{Field: &fe[i].Field, Message: &fe[i].Message}
		}
		fields = &list
	}
	ref, method, uri := randomHex(8), r.Method, r.URL.RequestURI()
	// apiErrorCode, httpErrorCode and httpStatus are integers (Socotra's Errors and Exceptions
	// reference, ExceptionResponse). Socotra's table of apiErrorCode values is not reproduced
	// here: the fake sends the HTTP status as the apiErrorCode too (an assumption). The
	// {field, message} shape of fieldErrors is an assumption as well: that reference types them as
	// ValidationFieldError {code, ontologyUri, validatorUri, debug, message}, with no field member.
	writeJSON(w, status, legacyapi.ExceptionResponse{
		ApiErrorCode:  status,
		HttpErrorCode: status,
		HttpStatus:    status,
		Message:       &msg,
		FieldErrors:   fields,
		ReferenceId:   &ref,
		RequestMethod: &method,
		RequestUri:    &uri,
	})
}

func writeLegacyFieldErrors(w http.ResponseWriter, r *http.Request, fe fieldErrors) {
	writeLegacyError(w, r, http.StatusBadRequest, fe.message(), fe...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "socotratest: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody reads a JSON request body into v; it reports malformed JSON as a field error on "body".
func decodeBody(r *http.Request, v any) fieldErrors {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(v); err != nil {
		return fieldErrors{{"body", "malformed JSON: " + err.Error()}}
	}
	return nil
}
