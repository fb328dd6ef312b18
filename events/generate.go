package events

//go:generate go -C ../tools run ./eventsgen -api ../api -out ../events
