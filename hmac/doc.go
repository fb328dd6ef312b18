// Package hmac signs and verifies the Socotra-Signature header of Socotra webhook deliveries, keeps several
// secrets for rotation, and offers a fail-closed http.Handler middleware.
//
// Socotra has not published the algorithm, the encoding or the signed content of its webhook signatures.
// The defaults here are our best reading and stay configurable: HMAC-SHA256 over the exact raw body, sent
// in [HeaderName] as hex (either case) or base64 (standard or URL alphabet, padded or not), with or without
// a "sha256=" prefix, possibly several values in one request. [NewHeaderScheme] changes the header, hash or
// prefix; a [Scheme] of your own covers any other layout, such as a signed timestamp.
//
// Protect a webhook endpoint:
//
//	v, err := hmac.NewVerifier([]byte(os.Getenv("SOCOTRA_WEBHOOK_SECRET")))
//	if err != nil {
//		log.Fatal(err) // an empty secret is refused: the verifier fails closed
//	}
//	mux.Handle("POST /hooks/socotra", v.Middleware(handler))
//
// [Verifier.Middleware] answers 405, 413, 400 or 401 with a generic body before the handler runs, and logs
// the reason to the logger given with [WithLogger]. On success the handler reads the verified bytes from
// r.Body or, without a copy, from [VerifiedBody]. [Verifier.Verify] checks a body and header directly and
// allocates nothing.
//
// Rotation: build the verifier with [NewKeyringVerifier], or call [Verifier.AddKey] with the new secret
// (its [Key.Tag] matching the tag set on the Socotra endpoint), then [Verifier.RetireKey] the old one once
// Socotra signs with the new secret. Both are safe while requests are being verified.
// [Verifier.VerifyKey] and [VerifiedKeyTag] tell which key matched.
//
// Tests of handlers can sign requests with [SignRequest] or [NewSignedRequest]. [InsecureSkipVerify]
// disables checking altogether, for tests only.
package hmac
