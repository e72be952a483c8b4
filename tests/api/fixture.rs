//! The hand-built data set of the metric tests. Every test reads it at
//! `AS_OF` = 2026-06-15T12:00:00Z unless it says otherwise; the comments give each row's
//! state at `AS_OF` so the expected values in the tests can be checked by hand.

/// The instant the tests read at.
pub const AS_OF: &str = "2026-06-15T12:00:00Z";

/// Rows valid on SQLite and PostgreSQL alike.
pub const ROWS: &str = r#"
-- users: 1,2,3,5,6,7 exist at AS_OF; 4 is created exactly at AS_OF and 8 after it.
-- last_login in [2026-05-16T12:00, AS_OF): users 1, 2, 3 (user 5 is one second early,
-- user 7's login is after AS_OF so counts as null).
INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES
(1, 'admin@example.org', 'Ada Admin', 'admin', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '2026-06-15T11:00:00+00:00'),
(2, 'client2@example.org', 'Binta Client', 'client', 'Bamako', TRUE, '2026-02-01T00:00:00+00:00', '2026-02-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'),
(3, 'client3@example.org', 'Cheick Client', 'client', 'Ségou', TRUE, '2026-05-20T00:00:00+00:00', '2026-05-20T00:00:00+00:00', '2026-05-20T01:00:00+00:00'),
(4, 'late@example.org', 'Late Comer', 'client', 'Bamako', TRUE, '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00', NULL),
(5, 'tech5@example.org', 'Awa Traoré', 'technician', 'Bamako', TRUE, '2026-01-10T00:00:00+00:00', '2026-01-10T00:00:00+00:00', '2026-05-16T11:59:59+00:00'),
(6, 'tech6@example.org', 'Drissa Keïta', 'technician', 'Ségou', TRUE, '2026-01-15T00:00:00+00:00', '2026-01-15T00:00:00+00:00', NULL),
(7, 'tech7@example.org', 'Fanta Koné', 'technician', 'Sikasso', TRUE, '2026-03-01T00:00:00+00:00', '2026-03-01T00:00:00+00:00', '2026-07-01T00:00:00+00:00'),
(8, 'tech8@example.org', 'Future Tech', 'technician', 'Bamako', TRUE, '2026-06-20T00:00:00+00:00', '2026-06-20T00:00:00+00:00', '2026-06-21T00:00:00+00:00');

-- technicians: T1..T3 exist at AS_OF (T4 is created after it).
-- verified: T1, T2; available: T1, T3; verified and available: T1.
INSERT INTO technicians (id, user_id, specialty, city, is_verified, is_available, hourly_rate, created_at, updated_at) VALUES
(1, 5, 'plumbing', 'Bamako', TRUE, TRUE, 5000.00, '2026-01-10T00:00:00+00:00', '2026-01-10T00:00:00+00:00'),
(2, 6, 'electrical', 'Ségou', TRUE, FALSE, NULL, '2026-01-15T00:00:00+00:00', '2026-01-15T00:00:00+00:00'),
(3, 7, 'plumbing', 'Sikasso', FALSE, TRUE, 4000.50, '2026-03-01T00:00:00+00:00', '2026-03-01T00:00:00+00:00'),
(4, 8, 'it', 'Bamako', TRUE, TRUE, NULL, '2026-06-20T00:00:00+00:00', '2026-06-20T00:00:00+00:00');

-- requests, with their state at AS_OF:
-- R1  plumbing   Bamako  completed (assigned +2 h, completed +24 h after that), urgent
-- R2  plumbing   Bamako  completed (+4 h, +12 h)
-- R3  electrical Ségou   status completed, but completed_at is after AS_OF: in progress
-- R4  electrical Ségou   cancelled (at 06-02)
-- R5  it         Bamako  pending, urgent
-- R6  plumbing   Sikasso assigned: in progress
-- R7  plumbing   Sikasso in_progress with no assigned_at: in progress
-- R8  plumbing   Bamako  assigned, but assigned_at is after AS_OF: pending
-- R9  plumbing   Bamako  created exactly at AS_OF: does not exist
-- R10 electrical Ségou   completed, never assigned (not in the mean times)
-- R11 plumbing   Bamako  completed (+0.5 h, +2 h)
-- R12 carpentry  Sikasso cancelled (at 02-02)
INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES
(1, 2, 1, 'plumbing', 'Bamako', 'completed', TRUE, 100.00, '2026-03-01T10:00:00+00:00', '2026-03-01T12:00:00+00:00', '2026-03-01T12:00:00+00:00', '2026-03-02T12:00:00+00:00', NULL, '2026-03-02T12:00:00+00:00'),
(2, 2, 1, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-20T08:00:00+00:00', '2026-05-20T12:00:00+00:00', NULL, '2026-05-21T00:00:00+00:00', NULL, '2026-05-21T00:00:00+00:00'),
(3, 3, 2, 'electrical', 'Ségou', 'completed', FALSE, NULL, '2026-06-10T00:00:00+00:00', '2026-06-10T06:00:00+00:00', NULL, '2026-06-16T00:00:00+00:00', NULL, '2026-06-16T00:00:00+00:00'),
(4, 3, 2, 'electrical', 'Ségou', 'cancelled', FALSE, NULL, '2026-06-01T00:00:00+00:00', NULL, NULL, NULL, '2026-06-02T00:00:00+00:00', '2026-06-02T00:00:00+00:00'),
(5, 2, NULL, 'it', 'Bamako', 'pending', TRUE, NULL, '2026-06-14T00:00:00+00:00', NULL, NULL, NULL, NULL, '2026-06-14T00:00:00+00:00'),
(6, 2, 3, 'plumbing', 'Sikasso', 'assigned', FALSE, NULL, '2026-06-12T00:00:00+00:00', '2026-06-12T01:00:00+00:00', NULL, NULL, NULL, '2026-06-12T01:00:00+00:00'),
(7, 2, 3, 'plumbing', 'Sikasso', 'in_progress', FALSE, NULL, '2026-06-13T20:00:00+00:00', NULL, NULL, NULL, NULL, '2026-06-13T20:00:00+00:00'),
(8, 3, 1, 'plumbing', 'Bamako', 'assigned', FALSE, NULL, '2026-06-14T10:00:00+00:00', '2026-06-15T13:00:00+00:00', NULL, NULL, NULL, '2026-06-15T13:00:00+00:00'),
(9, 2, 1, 'plumbing', 'Bamako', 'completed', TRUE, NULL, '2026-06-15T12:00:00+00:00', '2026-06-15T12:10:00+00:00', NULL, '2026-06-15T13:00:00+00:00', NULL, '2026-06-15T13:00:00+00:00'),
(10, 2, 2, 'electrical', 'Ségou', 'completed', FALSE, NULL, '2026-04-01T00:00:00+00:00', NULL, NULL, '2026-04-02T00:00:00+00:00', NULL, '2026-04-02T00:00:00+00:00'),
(11, 3, 1, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-06-15T09:00:00+00:00', '2026-06-15T09:30:00+00:00', NULL, '2026-06-15T11:30:00+00:00', NULL, '2026-06-15T11:30:00+00:00'),
(12, 3, 3, 'carpentry', 'Sikasso', 'cancelled', FALSE, NULL, '2026-02-01T02:00:00+00:00', NULL, NULL, NULL, '2026-02-02T00:00:00+00:00', '2026-02-02T00:00:00+00:00');

-- payments, with their state at AS_OF:
-- P1 R1  T1 0.10          orange_money completed
-- P2 R2  T1 0.20          orange_money completed
-- P3 R10 T2 1000000000.00 wave         completed
-- P4 R11 T1 0.70          card         completed_at after AS_OF: pending
-- P5 R1  T1 5000.55       cash         refunded
-- P6 R2  T1 300.00        wave         failed
-- P7 R3  T2 999999999.99  orange_money created exactly at AS_OF: does not exist
-- P8 R10 T2 0.30          wave         completed, completed_at NULL: completed
-- P9 R11 T1 12.34         moov_money   completed
INSERT INTO payments (id, request_id, payer_id, technician_id, amount, platform_fee, technician_payout, method, status, created_at, completed_at, updated_at) VALUES
(1, 1, 2, 1, 0.10, 0.01, 0.09, 'orange_money', 'completed', '2026-03-02T13:00:00+00:00', '2026-03-02T13:05:00+00:00', '2026-03-02T13:05:00+00:00'),
(2, 2, 2, 1, 0.20, 0.02, 0.18, 'orange_money', 'completed', '2026-05-21T01:00:00+00:00', '2026-05-21T01:01:00+00:00', '2026-05-21T01:01:00+00:00'),
(3, 10, 2, 2, 1000000000.00, 100000000.00, 900000000.00, 'wave', 'completed', '2026-04-02T01:00:00+00:00', '2026-04-02T01:00:00+00:00', '2026-04-02T01:00:00+00:00'),
(4, 11, 3, 1, 0.70, 0.07, 0.63, 'card', 'completed', '2026-06-15T11:45:00+00:00', '2026-06-15T12:30:00+00:00', '2026-06-15T12:30:00+00:00'),
(5, 1, 2, 1, 5000.55, 500.06, 4500.49, 'cash', 'refunded', '2026-03-03T00:00:00+00:00', '2026-03-03T00:00:00+00:00', '2026-03-03T00:00:00+00:00'),
(6, 2, 2, 1, 300.00, 30.00, 270.00, 'wave', 'failed', '2026-05-21T02:00:00+00:00', NULL, '2026-05-21T02:00:00+00:00'),
(7, 3, 3, 2, 999999999.99, 99999999.99, 900000000.00, 'orange_money', 'completed', '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00'),
(8, 10, 2, 2, 0.30, 0.03, 0.27, 'wave', 'completed', '2026-04-03T00:00:00+00:00', NULL, '2026-04-03T00:00:00+00:00'),
(9, 11, 3, 1, 12.34, 1.23, 11.11, 'moov_money', 'completed', '2026-06-15T11:40:00+00:00', '2026-06-15T11:41:00+00:00', '2026-06-15T11:41:00+00:00');

-- reviews: V5 is created exactly at AS_OF (does not exist); the others do.
-- T1: V1 5, V2 4, V4 3 (mean 4.0); T2: V3 2 (mean 2.0); T3: V6 5, V7 4 (mean 4.5).
INSERT INTO reviews (id, request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at) VALUES
(1, 1, 2, 1, 5, TRUE, 'Parfait', '2026-03-03T00:00:00+00:00', '2026-03-03T00:00:00+00:00'),
(2, 2, 2, 1, 4, TRUE, NULL, '2026-05-22T00:00:00+00:00', '2026-05-22T00:00:00+00:00'),
(3, 10, 2, 2, 2, FALSE, 'Lent', '2026-04-05T00:00:00+00:00', '2026-04-05T00:00:00+00:00'),
(4, 11, 3, 1, 3, FALSE, NULL, '2026-06-15T11:50:00+00:00', '2026-06-15T11:50:00+00:00'),
(5, 9, 2, 1, 1, FALSE, NULL, '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00'),
(6, 6, 2, 3, 5, TRUE, NULL, '2026-06-13T00:00:00+00:00', '2026-06-13T00:00:00+00:00'),
(7, 7, 2, 3, 4, FALSE, NULL, '2026-06-14T00:00:00+00:00', '2026-06-14T00:00:00+00:00');

-- login events: failures from 10.0.0.5 (5 on 06-10), 10.0.0.7 (1 on 04-01, 5 on 06-01),
-- 9.9.9.9 (5 on 06-14, a 6th exactly at AS_OF: does not exist), 10.0.0.8 (4 on 06-15);
-- successes of users 1 (06-15 11:00), 2 (06-01), 3 (05-20), 5 (05-16 11:59:59).
INSERT INTO login_events (id, user_id, email, ip_address, success, failure_reason, created_at, updated_at) VALUES
(1, 2, 'client2@example.org', '10.0.0.5', FALSE, 'bad_password', '2026-06-10T00:00:00+00:00', '2026-06-10T00:00:00+00:00'),
(2, 2, 'client2@example.org', '10.0.0.5', FALSE, 'bad_password', '2026-06-10T01:00:00+00:00', '2026-06-10T01:00:00+00:00'),
(3, 2, 'client2@example.org', '10.0.0.5', FALSE, 'bad_password', '2026-06-10T02:00:00+00:00', '2026-06-10T02:00:00+00:00'),
(4, NULL, 'nobody@example.org', '10.0.0.5', FALSE, 'unknown_user', '2026-06-10T03:00:00+00:00', '2026-06-10T03:00:00+00:00'),
(5, NULL, 'nobody@example.org', '10.0.0.5', FALSE, 'unknown_user', '2026-06-10T04:00:00+00:00', '2026-06-10T04:00:00+00:00'),
(6, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-04-01T00:00:00+00:00', '2026-04-01T00:00:00+00:00'),
(7, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-06-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'),
(8, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-06-01T01:00:00+00:00', '2026-06-01T01:00:00+00:00'),
(9, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-06-01T02:00:00+00:00', '2026-06-01T02:00:00+00:00'),
(10, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-06-01T03:00:00+00:00', '2026-06-01T03:00:00+00:00'),
(11, 3, 'client3@example.org', '10.0.0.7', FALSE, 'bad_password', '2026-06-01T04:00:00+00:00', '2026-06-01T04:00:00+00:00'),
(12, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-14T00:00:00+00:00', '2026-06-14T00:00:00+00:00'),
(13, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-14T01:00:00+00:00', '2026-06-14T01:00:00+00:00'),
(14, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-14T02:00:00+00:00', '2026-06-14T02:00:00+00:00'),
(15, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-14T03:00:00+00:00', '2026-06-14T03:00:00+00:00'),
(16, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-14T04:00:00+00:00', '2026-06-14T04:00:00+00:00'),
(17, 1, 'admin@example.org', '9.9.9.9', FALSE, 'bad_password', '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00'),
(18, 2, 'client2@example.org', '10.0.0.8', FALSE, 'bad_password', '2026-06-15T08:00:00+00:00', '2026-06-15T08:00:00+00:00'),
(19, 2, 'client2@example.org', '10.0.0.8', FALSE, 'bad_password', '2026-06-15T09:00:00+00:00', '2026-06-15T09:00:00+00:00'),
(20, 2, 'client2@example.org', '10.0.0.8', FALSE, 'bad_password', '2026-06-15T10:00:00+00:00', '2026-06-15T10:00:00+00:00'),
(21, 2, 'client2@example.org', '10.0.0.8', FALSE, 'bad_password', '2026-06-15T11:00:00+00:00', '2026-06-15T11:00:00+00:00'),
(22, 1, 'admin@example.org', '41.0.0.1', TRUE, NULL, '2026-06-15T11:00:00+00:00', '2026-06-15T11:00:00+00:00'),
(23, 2, 'client2@example.org', '41.0.0.2', TRUE, NULL, '2026-06-01T00:00:00+00:00', '2026-06-01T00:00:00+00:00'),
(24, 3, 'client3@example.org', '41.0.0.3', TRUE, NULL, '2026-05-20T01:00:00+00:00', '2026-05-20T01:00:00+00:00'),
(25, 5, 'tech5@example.org', '41.0.0.4', TRUE, NULL, '2026-05-16T11:59:59+00:00', '2026-05-16T11:59:59+00:00');

-- one security alert inside the last 30 days, one before, one exactly at AS_OF
INSERT INTO statistics_alerts (id, alert_type, title, message, severity, metric, observed_value, threshold, dedup_key, rule_id, is_active, triggered_at, created_at) VALUES
(1, 'security_alert', 'Brute force', 'Many failures from 10.0.0.7', 'critical', NULL, NULL, NULL, 'bf-1', NULL, FALSE, '2026-06-01T05:00:00+00:00', '2026-06-01T05:00:00+00:00'),
(2, 'security_alert', 'Brute force', 'Many failures from 10.0.0.7', 'critical', NULL, NULL, NULL, 'bf-2', NULL, FALSE, '2026-04-01T05:00:00+00:00', '2026-04-01T05:00:00+00:00'),
(3, 'security_alert', 'Brute force', 'Many failures from 9.9.9.9', 'critical', NULL, NULL, NULL, 'bf-3', NULL, TRUE, '2026-06-15T12:00:00+00:00', '2026-06-15T12:00:00+00:00'),
(4, 'anomaly_detected', 'Spike', 'Requests spiked', 'warning', NULL, NULL, NULL, 'an-1', NULL, TRUE, '2026-06-10T00:00:00+00:00', '2026-06-10T00:00:00+00:00')
"#;
