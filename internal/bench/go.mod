module github.com/socotra-go/sdk/internal/bench

go 1.26

require (
	github.com/go-playground/webhooks/v6 v6.4.0
	github.com/oklog/ulid/v2 v2.1.2
	github.com/socotra-go/sdk v0.0.0-00010101000000-000000000000
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1
	github.com/stripe/stripe-go/v84 v84.4.1
	github.com/svix/svix-webhooks v1.44.0
)

require gopkg.in/validator.v2 v2.0.1 // indirect

replace github.com/socotra-go/sdk => ../..
