const path = require("path");
const MiniCssExtractPlugin = require("mini-css-extract-plugin");

module.exports = {
  entry: "./assets/index.js",
  output: { path: path.resolve(__dirname, "helpdesk/static/build"), filename: "[name].js" },
  plugins: [new MiniCssExtractPlugin()],
  module: { rules: [{ test: /\.css$/, use: [MiniCssExtractPlugin.loader, "css-loader"] }] },
};
