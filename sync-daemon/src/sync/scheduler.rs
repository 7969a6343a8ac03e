//! The heartbeat that makes the engine look for due stores and run the OMS workers.
//!
//! tokio-cron-scheduler fires a cron job every `tick`; the job only wakes the dispatcher, which
//! reads who is due from the database. Its repeated jobs can stop firing under load when their
//! next tick drifts into the past (mvniekerk/tokio-cron-scheduler#113), so we use a cron
//! expression rather than a repeated job, and a fallback timer dispatches anyway when the
//! heartbeat is late: a stalled scheduler delays a cycle by a few ticks, never drops it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::{watch, Notify};
use tokio_cron_scheduler::{Job, JobScheduler};

use super::Engine;
use crate::telemetry;

/// What wakes the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// tokio-cron-scheduler, with the fallback timer (the daemon).
    Cron,
    /// tokio's timer alone: follows a paused clock (simulated-time tests).
    Timer,
}

/// The cron expression (seconds first) firing every `tick`, rounded to whole seconds.
pub fn cron_expression(tick: Duration) -> String {
    match tick.as_secs() {
        0 | 1 => "* * * * * *".to_owned(),
        s if s < 60 => format!("*/{s} * * * * *"),
        _ => "0 * * * * *".to_owned(),
    }
}

/// Dispatches due stores on every heartbeat until `shutdown` turns true.
pub async fn run(
    engine: Engine,
    heartbeat: Heartbeat,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let tick = engine.settings().tick.max(Duration::from_millis(10));
    let beat = Arc::new(Notify::new());
    let mut cron = match heartbeat {
        Heartbeat::Timer => None,
        Heartbeat::Cron => {
            let sched = JobScheduler::new()
                .await
                .context("cannot start the cron scheduler")?;
            let b = Arc::clone(&beat);
            let job = Job::new_async(cron_expression(tick).as_str(), move |_, _| {
                let b = Arc::clone(&b);
                Box::pin(async move { b.notify_one() })
            })
            .context("cannot create the heartbeat job")?;
            sched
                .add(job)
                .await
                .context("cannot add the heartbeat job")?;
            sched
                .start()
                .await
                .context("cannot start the cron scheduler")?;
            Some(sched)
        }
    };
    // With cron the timer is only the fallback: it fires when the heartbeat is three ticks late.
    let fallback = if cron.is_some() { tick * 3 } else { tick };
    let mut oms = None;
    loop {
        tokio::select! {
            _ = beat.notified() => {}
            _ = engine.slot_freed() => {}
            _ = tokio::time::sleep(fallback) => {
                if cron.is_some() {
                    telemetry::scheduler_stall();
                    tracing::warn!("cron heartbeat late; dispatching from the fallback timer");
                }
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
        if engine.settings().pulls {
            if let Err(e) = engine.dispatch().await {
                tracing::warn!("dispatch failed: {e:#}");
            }
        }
        // One pass of the OMS workers (uploads, labels, auto-submit) at a time, beside the
        // pulls.
        if oms
            .as_ref()
            .is_none_or(|h: &tokio::task::JoinHandle<()>| h.is_finished())
        {
            let engine = engine.clone();
            oms = Some(tokio::spawn(async move { engine.oms_pass().await }));
        }
    }
    if let Some(h) = oms {
        let _ = h.await;
    }
    if let Some(sched) = cron.as_mut() {
        let _ = sched.shutdown().await;
    }
    Ok(())
}
