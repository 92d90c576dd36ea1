// SPDX-License-Identifier: MIT
/* Test helper: a librdkafka mock Kafka cluster (the real Kafka protocol on
 * loopback) of N brokers with topics (a comma-separated list). Prints the bootstrap servers on a
 * line, then obeys stdin: "down ID", "up ID" (brokers are 1..N), and stops
 * at end of input.
 *   kafka_mock BROKERS TOPIC[,TOPIC...] PARTITIONS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv)
{
	char err[256], line[128];
	rd_kafka_conf_t *conf;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;
	int id;

	if (argc != 4) {
		fprintf(stderr, "usage: kafka_mock BROKERS TOPIC PARTITIONS\n");
		return 2;
	}
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, atoi(argv[1]));
	if (!mc) {
		fprintf(stderr, "kafka_mock: no mock cluster\n");
		return 1;
	}
	for (char *save = NULL, *t = strtok_r(argv[2], ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (rd_kafka_mock_topic_create(mc, t, atoi(argv[3]), atoi(argv[1]) < 3 ? atoi(argv[1]) : 3)) {
			fprintf(stderr, "kafka_mock: cannot create topic %s\n", t);
			return 1;
		}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "down %d", &id) == 1)
			rd_kafka_mock_broker_set_down(mc, id);
		else if (sscanf(line, "up %d", &id) == 1)
			rd_kafka_mock_broker_set_up(mc, id);
		printf("ok\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
