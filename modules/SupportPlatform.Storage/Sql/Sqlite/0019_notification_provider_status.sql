-- Notifications: the provider's later status of a delivery (an SMS delivered or undelivered, a call answered or not),
-- reported by the channel plugin's status callbacks after the provider accepted the message.
ALTER TABLE sp_notification_deliveries ADD COLUMN provider_status text NULL;
ALTER TABLE sp_notification_deliveries ADD COLUMN provider_status_at_ms bigint NULL;
