// The `nodeless` command: a thin entry that hands each subcommand to its module.
import { Command } from 'commander';
import { defaultHome } from './connect.js';
import { registerCloudCommands } from './cloud.js';
import { registerSuperNodeCommands } from './supernode.js';
import { registerPodCommands } from './pods.js';
import { registerPodEipCommands } from './podeip.js';
import { registerUserCommands } from './users.js';
import { registerNodeGroupCommands } from './nodegroup.js';
import { registerFargateCommands } from './fargate.js';
import { registerAwsCommands } from './aws.js';
import { registerDoctorCommand } from './doctor.js';
import { registerFaultCommands } from './fault.js';
import { registerScenarioCommand } from './scenario.js';
import { registerVpcCommands } from './vpc.js';

const program = new Command();
program.name('nodeless').description('A serverless Kubernetes cloud on one machine').showHelpAfterError();

program.command('up')
  .description('start nodeless in the foreground (API server, cloud, controllers)')
  .option('--home <dir>', 'state directory', defaultHome())
  .option('--port <n>', 'HTTPS port', '6443')
  .option('--host <addr>', 'listen address', '127.0.0.1')
  .option('--allow-process-runtime', 'let pods annotated nodeless.dev/runtime=process run as local processes', false)
  .option('--cloud <cloud>', 'cloud of a new home\'s cluster default: tencent, alibaba or aws (an AWS one starts in us-east-1\'s default VPC with no nodes)', 'tencent')
  .option('--api-only', 'serve the Kubernetes and cloud APIs only: no controllers, scheduler or super nodes', false)
  .option('--event-qps <n>', 'events per second each super node\'s kubelet may write, as kubelet --event-qps (0: unlimited; default 50)')
  .option('--event-burst <n>', 'events a kubelet may write at once before --event-qps applies (default 100)')
  .option('--request-timeout <duration>', 'how long a request body may take to arrive, as kube-apiserver --request-timeout (default 60s)')
  .option('--event-ttl <duration>', 'how long Events are kept after their last write, as kube-apiserver --event-ttl (default 1h; 0: for good)')
  .option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the oldest are deleted, as kube-controller-manager --terminated-pod-gc-threshold (default 12500; 0: no limit)')
  .option('--log-level <level>', 'least level logged on stderr: trace, debug (every request), info, warn or error', 'info')
  .option('--log-format <format>', 'text (one line per message) or json (pino\'s JSON lines)', 'text')
  // Imported here, not at the top: the server's modules take half a second to
  // load, which every other subcommand (a thin client of the API) would pay.
  .action(async (o) => (await import('./up.js')).runUp({
    cloud: o.cloud, home: o.home, port: Number(o.port), host: o.host, allowProcessRuntime: !!o.allowProcessRuntime, apiOnly: !!o.apiOnly,
    eventQps: o.eventQps, eventBurst: o.eventBurst, requestTimeout: o.requestTimeout, eventTtl: o.eventTtl, terminatedPodGcThreshold: o.terminatedPodGcThreshold, logLevel: o.logLevel, logFormat: o.logFormat,
  }));

registerCloudCommands(program);
registerSuperNodeCommands(program);
registerPodCommands(program);
registerPodEipCommands(program);
registerUserCommands(program);
registerNodeGroupCommands(program);
registerFargateCommands(program);
registerAwsCommands(program);
registerDoctorCommand(program);
registerFaultCommands(program);
registerScenarioCommand(program);
registerVpcCommands(program);

// One line, no stack trace: CliErrors and unexpected failures alike.
program.parseAsync(process.argv).catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
