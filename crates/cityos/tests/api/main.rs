//! Integration tests through HTTP against a running CityOS, on the backend
//! named by `CITYOS_TEST_BACKEND` (`make test` runs them on SQLite and on
//! PostgreSQL). One test binary on purpose: linking dominates on 2 cores.

// Test support code panics by design: a broken fixture must fail the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, reason = "test support code")]

mod harness;

mod audit;
mod calls;
mod citizens;
mod ckan;
mod datastore;
mod events;
mod export;
mod feedback;
mod forecast;
mod forecast_cli;
mod gateway;
mod geocode;
mod gis;
mod gis_demo;
mod gis_import;
mod identity;
mod mail;
mod media;
mod ogc;
mod open311;
mod open_data_feed;
mod platform;
mod portal;
mod process;
mod push;
mod roles;
mod sharing;
mod webhooks;
