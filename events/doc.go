// Package events names the webhook event types of both Socotra platforms.
package events
