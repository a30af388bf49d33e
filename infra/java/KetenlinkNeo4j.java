import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Runs Neo4j Community for Ketenlink's local stack: the embedded database management service with
 * the Bolt connector, configured entirely by the neo4j.conf that infra/neo4j_server.py writes.
 *
 * <p>Usage: {@code java KetenlinkNeo4j <home-dir> <neo4j.conf>}. The password of user {@code neo4j}
 * is read from the environment variable {@code KETENLINK_NEO4J_INITIAL_PASSWORD} (never argv, which
 * other users can read) and set on every start, so the configured password always wins.
 */
public final class KetenlinkNeo4j {
    private KetenlinkNeo4j() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: KetenlinkNeo4j <home-dir> <neo4j.conf>");
            System.exit(2);
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(args[0]))
                .loadPropertiesFromFile(Path.of(args[1]))
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("ketenlink-neo4j: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }, "ketenlink-neo4j-shutdown"));

        String password = System.getenv("KETENLINK_NEO4J_INITIAL_PASSWORD");
        if (password != null && !password.isEmpty()) {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        }
        System.out.println("ketenlink-neo4j: started");
        stopped.await();
    }
}
