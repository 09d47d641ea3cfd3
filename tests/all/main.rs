//! End-to-end tests: the host library with the compiled d Shopping plugin against the emulator
//! on loopback. One binary; each concern a module.

mod accounts;
mod calendar;
mod cli;
mod connectors;
mod console;
mod console_review;
mod contract;
mod crash_points;
mod credentials;
mod cycle;
mod exactly_once;
mod export;
mod faults;
mod guarantees;
mod health;
mod hosts;
mod labels;
mod lifecycle;
mod rakuten;
mod rules;
mod sandbox;
mod sandbox_v2;
mod sandbox_v3;
mod yahoo;
