// The page's third-party code, bundled by esbuild at `make setup` into
// orchestrator/web/static/vendor/vendor.js (git-ignored): the parts of ECharts the page
// draws with (gauge, treemap, canvas) and the parts of ethers the wallet needs (keys,
// Web3 Secret Storage v3 keystores, EIP-712 signing). No CDN: the page works offline.
import * as echarts from "echarts/core";
import { GaugeChart, TreemapChart } from "echarts/charts";
import { TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import {
  Wallet,
  decryptKeystoreJson,
  encryptKeystoreJson,
  getAddress,
  isKeystoreJson,
  verifyTypedData,
} from "ethers";

echarts.use([GaugeChart, TreemapChart, TooltipComponent, CanvasRenderer]);

window.IndexVaultVendor = {
  echarts,
  Wallet,
  decryptKeystoreJson,
  encryptKeystoreJson,
  getAddress,
  isKeystoreJson,
  verifyTypedData,
};
