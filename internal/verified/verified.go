// Package verified connects package hmac's Middleware with package webhooks' receiver without a public
// API: a next handler that implements [Handler] gets the verified body handed over directly, and a
// context that implements [Carrier] under [Key] is one hmac.VerifiedBody and hmac.VerifiedKeyTag read.
// Only this module can implement either, since no other module can name [Token].
package verified

import "net/http"

// Key is the context key under which a [Carrier] is found.
type Key struct{}

// Carrier holds a body whose signature passed and the tag of the key that matched. Its method takes a
// [Token], so that no type outside this module can be one: a context whose Value answers every key with
// something that has a Verified method of its own is still not verified.
type Carrier interface {
	Verified(Token) (body []byte, tag string)
}

// Token marks the methods only this module implements.
type Token struct{}

// Handler is a next handler of hmac's Middleware that takes the verified body as it is, without the request
// copy, the context value and the body reader the Middleware makes for any other next handler. It must give
// the functions it runs a context that carries the body (a [Carrier] under [Key]), as that copy would.
type Handler interface {
	http.Handler
	ServeVerified(w http.ResponseWriter, r *http.Request, body []byte, tag string, _ Token)
}
