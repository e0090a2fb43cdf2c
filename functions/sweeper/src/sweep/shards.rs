//! One shard's run: its resources listed page by page (or resumed from its
//! cursor) and each handed to its guard's pipeline, at most `concurrency`
//! at once, until the time budget says stop.

use super::{Invocation, Pending, ShardEnd, Sweeper};
use crate::list::{self, Page};
use crate::shard::{Cursor, ResourceType, Shard};
use crate::summary::{Summary, SweepError};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use std::collections::VecDeque;
use tokio::sync::Semaphore;
use warden_shared::{Context, Guard, GuardError, Mode, Outcome, Pipeline};

impl Sweeper {
    /// One shard through its guard's pipeline.
    pub(super) async fn run_shard(
        &self,
        shard: &Shard,
        invocation: &Invocation,
        permits: &Semaphore,
    ) -> ShardEnd {
        let region = shard.region.as_str();
        let account = invocation.account.as_str();
        match shard.resource_type {
            ResourceType::S3Bucket => {
                let s3 = self.buckets.adapter().client(region);
                // A sweep that writes nothing takes the buckets' tags from
                // the Tagging API (one call per hundred buckets), for a
                // listed page and a resumed cursor alike; one that
                // remediates reads each bucket's own (see `Bucket`).
                let tagging = (self.config.mode != Mode::Remediate)
                    .then(|| self.tag_pipeline(region).adapter().api.clone());
                let home = region.to_string();
                let with_tags =
                    move |mut items: Vec<(String, bucket_guard::Bucket)>| -> BoxFuture<'static, _> {
                        let (tagging, region) = (tagging.clone(), home.clone());
                        Box::pin(async move {
                            if let Some(tagging) = &tagging {
                                list::bucket_tags(tagging, &region, &mut items).await;
                            }
                            items
                        })
                    };
                let listed = with_tags.clone();
                let page = move |token| -> BoxFuture<'static, _> {
                    let (s3, region, with_tags) = (s3.clone(), region.to_string(), listed.clone());
                    Box::pin(async move {
                        let page = list::buckets(&s3, &region, token).await?;
                        Ok(Page {
                            items: with_tags(page.items).await,
                            next: page.next,
                        })
                    })
                };
                let resume = |ids: &[String]| {
                    with_tags(
                        ids.iter()
                            .filter_map(|id| Some((id.clone(), list::bucket(region, id)?)))
                            .collect(),
                    )
                };
                self.run(&self.buckets, shard, invocation, permits, page, resume)
                    .await
            }
            ResourceType::IamUser => {
                let iam = self.iam.clone();
                let page = move |token| -> BoxFuture<'static, _> {
                    let iam = iam.clone();
                    Box::pin(async move { list::users(&iam, token).await })
                };
                let resume = |ids: &[String]| rebuilt(ids, list::user);
                self.run(&self.users, shard, invocation, permits, page, resume)
                    .await
            }
            ResourceType::CloudtrailTrail => {
                let cloudtrail = self.trails.adapter().client(region);
                let page = move |token| -> BoxFuture<'static, _> {
                    let (cloudtrail, region, account) =
                        (cloudtrail.clone(), region.to_string(), account.to_string());
                    Box::pin(
                        async move { list::trails(&cloudtrail, &region, &account, token).await },
                    )
                };
                let resume = |ids: &[String]| {
                    rebuilt(ids, |id| list::trail(id, region, account).map(|(_, t)| t))
                };
                self.run(&self.trails, shard, invocation, permits, page, resume)
                    .await
            }
            ResourceType::TaggedResource => {
                let pipeline = self.tag_pipeline(region);
                let api = pipeline.adapter().api.clone();
                let page = move |token| -> BoxFuture<'static, _> {
                    let (api, region) = (api.clone(), region.to_string());
                    Box::pin(async move { list::tagged(&api, &region, token).await })
                };
                let resume =
                    |ids: &[String]| rebuilt(ids, |id| list::tagged_resource(id).map(|(_, t)| t));
                self.run(&*pipeline, shard, invocation, permits, page, resume)
                    .await
            }
        }
    }

    /// Lists and checks one shard's resources: pages are fetched while the
    /// checks of the page before are still running; each resource waits
    /// for one of the sweep's permits; once the budget is spent nothing more
    /// is started (but at least one resource or page per invocation, so a
    /// chain of continuations always moves on) and the rest is the cursor.
    /// `resume` turns a cursor's ids back into what a listing would have
    /// given (a bucket's tags included).
    async fn run<G: Guard>(
        &self,
        pipeline: &Pipeline<G>,
        shard: &Shard,
        invocation: &Invocation,
        permits: &Semaphore,
        page: impl Fn(Option<String>) -> BoxFuture<'static, Result<Page<G::Target>, GuardError>>,
        resume: impl Fn(&[String]) -> BoxFuture<'static, Vec<(String, G::Target)>>,
    ) -> ShardEnd {
        let guard = shard.resource_type.guard();
        let context = Context::sweep(&shard.sweep_id, &invocation.account, &shard.region);
        let context = &context;
        let mut summary = Summary::new(&shard.sweep_id);
        summary.covers(guard);
        let (mut queue, mut next_page, mut first): (Pending<G::Target>, Option<String>, bool) =
            match &shard.cursor {
                None => (VecDeque::new(), None, true),
                Some(cursor) => (
                    resume(&cursor.pending).await.into(),
                    cursor.next_page.clone(),
                    false,
                ),
            };
        let mut running = FuturesUnordered::new();
        let mut fetching: Option<BoxFuture<'static, Result<Page<G::Target>, GuardError>>> = None;
        let (mut started, mut pages) = (0usize, 0usize);
        let mut retry = false;
        loop {
            let may_work = !invocation.spent() || (started == 0 && pages == 0);
            if fetching.is_none() && queue.is_empty() && (first || next_page.is_some()) && may_work
            {
                fetching = Some(page(if first { None } else { next_page.take() }));
                first = false;
            }
            let can_start = !queue.is_empty() && (!invocation.spent() || started == 0);
            if !can_start && running.is_empty() && fetching.is_none() {
                break;
            }
            tokio::select! {
                permit = permits.acquire(), if can_start => {
                    let Ok(permit) = permit else { break };
                    let Some((id, target)) = queue.pop_front() else { continue };
                    started += 1;
                    running.push(Box::pin(async move {
                        let result = pipeline.check_resource(&target, context).await;
                        drop(permit);
                        (id, result)
                    }) as BoxFuture<'_, (String, Result<Outcome, GuardError>)>);
                }
                Some((id, result)) = running.next(), if !running.is_empty() => match result {
                    Ok(outcome) => summary.add(&outcome),
                    Err(err) => {
                        tracing::warn!(guard, resource = id, error = %err, "could not check the resource; the next sweep will");
                        summary.errors.push(error_line(shard, Some(id), &err));
                    }
                },
                listed = async {
                    match fetching.as_mut() {
                        Some(listing) => listing.await,
                        None => std::future::pending().await,
                    }
                }, if fetching.is_some() => {
                    fetching = None;
                    pages += 1;
                    match listed {
                        Ok(listed) => {
                            queue.extend(listed.items);
                            next_page = listed.next;
                        }
                        Err(err) => {
                            tracing::error!(shard = shard.label(), error = %err, "listing failed");
                            retry = err.retryable();
                            summary.errors.push(error_line(shard, None, &err));
                        }
                    }
                }
            }
        }
        let cursor = (!queue.is_empty() || next_page.is_some()).then(|| Cursor {
            pending: queue.into_iter().map(|(id, _)| id).collect(),
            next_page,
        });
        ShardEnd {
            summary,
            cursor,
            retry,
        }
    }
}

/// A cursor's ids as targets, for a type whose listing gives nothing but
/// the id; an id that names no such target is dropped.
fn rebuilt<T: Send + 'static>(
    ids: &[String],
    rebuild: impl Fn(&str) -> Option<T>,
) -> BoxFuture<'static, Vec<(String, T)>> {
    let items = ids
        .iter()
        .filter_map(|id| Some((id.clone(), rebuild(id)?)))
        .collect();
    Box::pin(std::future::ready(items))
}

fn error_line(shard: &Shard, resource: Option<String>, err: &GuardError) -> SweepError {
    SweepError {
        resource_type: shard.resource_type.to_string(),
        region: shard.region.clone(),
        resource,
        // A retry may help: the next sweep is that retry (or, for a
        // listing from the queue, the message's redelivery).
        message: if err.retryable() {
            format!("{err}; the next sweep checks it again")
        } else {
            format!("{err}: {}", err.remedy())
        },
    }
}
