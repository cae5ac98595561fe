from django.core.management.base import BaseCommand, CommandError

from directory import bench


class Command(BaseCommand):
    help = (
        "Benchmark search (issue 6): load a reproducible synthetic dataset of N facilities "
        "into the configured database, time the query mix in-process (API and SQL p50/p95, "
        "queries per request) and, with --http, requests/second under gunicorn with wrk. "
        "Only source='synthetic' facilities are ever deleted."
    )

    def add_arguments(self, parser):
        bench.add_dataset_arguments(parser)
        parser.add_argument(
            "--runs", type=int, default=bench.DEFAULT_RUNS, help="timed runs per query"
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="also measure requests/second under gunicorn (2 workers) with wrk",
        )
        parser.add_argument("--http-duration", type=int, default=10, help="seconds per wrk run")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="skip loading when the synthetic facilities already are this dataset",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="add EXPLAIN (ANALYZE, BUFFERS) of each query's slowest statement (PostgreSQL)",
        )
        parser.add_argument(
            "--gc-freeze",
            action="store_true",
            help="tune the garbage collector before timing, as gunicorn workers do "
            "(config/process.py; they also collect between requests, which the timing "
            "leaves out either way: config/workers.py)",
        )
        parser.add_argument(
            "--alongside",
            metavar="DATABASE_URL",
            help="time the mix side by side on this database too, which holds the synthetic "
            "dataset at another size (e.g. 10,000 when this one holds 100,000), in turns of "
            f"{bench.ALONGSIDE_TURN} requests; reports each query's p95 over its p95 there",
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted([*bench.QUERY_MIX, "deep_page"]),
            help="time these only",
        )

    def handle(self, *args, **options):
        if options["facilities"] < 1 or options["runs"] < 1:
            raise CommandError("--facilities and --runs must be at least 1")
        verbose = options["verbosity"] >= 1

        def progress(message):
            if verbose:
                self.stderr.write(message)

        alongside = None
        try:
            if options["alongside"]:
                alongside = bench.Alongside.at(options["alongside"])
            report = bench.run(
                facilities=options["facilities"],
                seed=options["seed"],
                runs=options["runs"],
                http=options["http"],
                http_duration=options["http_duration"],
                keep=options["keep"],
                reuse=options["reuse"],
                with_explain=options["explain"],
                names=options["only"],
                gc_freeze=options["gc_freeze"],
                alongside=alongside,
                progress=progress,
            )
            if options["output"]:
                bench.write_report(options["output"], report)
        except bench.BenchError as error:
            raise CommandError(str(error)) from None
        finally:
            if alongside is not None:
                alongside.close()
        machine = report["machine"]
        self.stdout.write(
            f"{report['facilities']} facilities (seed {report['seed']}), {report['runs']} runs; "
            f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
            f"{machine['db'].get('version', machine['db']['vendor'])}"
        )
        rate = report["import_facilities_per_second"]
        self.stdout.write(f"import: {rate} facilities/s" if rate else "import: reused dataset")
        self.stdout.write("times in ms\n" + bench.format_table(report["queries"]))
        if alongside is not None:
            held = report["alongside"]
            timings = {n: t["alongside"] for n, t in report["queries"].items() if "alongside" in t}
            self.stdout.write(
                f"alongside, side by side: {held['database']}, "
                f"{held['dataset']['synthetic_facilities']} synthetic facilities\n"
                + bench.format_table(timings)
            )
        if report["search_rps"] is not None:
            self.stdout.write(
                f"search {report['search_rps']:.1f} requests/s (answer cache on), "
                f"{report['search_rps_uncached']:.1f} requests/s (cache off); trivial "
                f"{report['trivial_rps']:.1f} requests/s (ratios "
                f"{report['search_over_trivial_rps']:.2f} and "
                f"{report['uncached_search_over_trivial_rps']:.2f})"
            )
        self.stdout.write("issue 6's targets:\n" + bench.format_targets(report["targets"]))
        failed = report["targets"]["not_timed"]
        if failed:
            raise CommandError(f"queries that did not answer 200: {failed}")
        if report.get("http_error"):
            raise CommandError(f"--http: {report['http_error']}")
