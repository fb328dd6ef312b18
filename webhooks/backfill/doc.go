// Package backfill replays the Socotra events a receiver missed through the same [Handler] that serves
// live deliveries, so that routes and dedupe are shared and every event is processed exactly once however
// it arrives.
//
// Two sources are covered, on both platforms:
//
//   - Diverted events: deliveries that failed and that the platform kept (failure handling with divert).
//     [Backfiller.Diverted] takes the name the webhook was registered with; [Backfiller.CoreDiverted] lists
//     a Core webhook's diverted records by its locator, fetches each event from the event stream and
//     handles it; [Backfiller.LegacyDiverted] handles the event a Legacy record carries. A record is
//     deleted only after its event was handled (or found done already).
//   - The event stream of a Core or a Legacy tenant: [Backfiller.Stream] reads from the position saved in
//     a [Checkpoint] and saves the paging token only after every event before it was handled.
//     [FileCheckpoint] is the default store; package github.com/socotra-go/sdk/webhooks/redisstore has one
//     for several instances. With an empty checkpoint, Stream begins only where [WithStart] or
//     [WithFromBeginning] says ([ErrNoStart] otherwise), so that a lost checkpoint never replays a
//     tenant's whole history by accident.
//
// Each event reaches the Handler as the webhooks.Event its delivery would carry ([Event]), built from the
// API's answer without any JSON being parsed again; its Header is nil and its Raw holds the body in the
// platform's delivery format.
//
// A run may stop at any point (crash, deploy, cancelled context): the next run starts from what was not
// confirmed, and the Handler's dedupe turns the events processed in between into duplicates
// (webhooks.ErrDuplicate, counted as success). Exactly-once therefore needs a dedupe store that survives
// the crash, such as redisstore.Deduper; with the in-memory default an event handled just before a crash
// may be handled again after it, but none is lost.
//
//	h := webhooks.NewHandler(webhooks.WithDeduper(dd)) // the Handler the receiver serves
//	h.On("policy.*", onPolicy)
//	b, err := backfill.New(h, backfill.WithEvents("policy.*"), backfill.WithLogger(logger),
//		backfill.WithStart(deployedAt)) // where to begin while the checkpoint is still empty
//	if err != nil {
//		return err
//	}
//	cp, err := backfill.NewFileCheckpoint("/var/lib/myapp/socotra-stream")
//	if err != nil {
//		return err
//	}
//	rep, err := b.Stream(ctx, client, cp) // a Core or Legacy client; at start-up and then periodically
//	log.Print(rep)                        // seen 120: handled 7, duplicates 113, ...
//
// Each run returns a [Report] of counts, logs progress every [WithProgressEvery] events, and returns an
// error matching [ErrIncomplete] when some events failed, so that a scheduler can alert and run it again.
package backfill
